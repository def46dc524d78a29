namespace SteerServer.Models.Templates.Values;

/// <summary>What <c>dict.items()</c>, <c>.keys()</c> and <c>.values()</c> return: sized and iterable, prints as <c>dict_items([...])</c>.</summary>
internal sealed class DictView(string typeName, List<object?> items)
{
    public string TypeName { get; } = typeName;

    public List<object?> Items { get; } = items;
}
