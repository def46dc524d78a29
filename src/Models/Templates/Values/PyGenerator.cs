namespace SteerServer.Models.Templates.Values;

/// <summary>
/// What Jinja's <c>select</c>, <c>map</c>, <c>items</c>, <c>unique</c>... return in Python: a generator. It iterates
/// (once is enough for templates) but has no <c>len()</c> and no indexing, so <c>x | selectattr(..) | length</c>
/// fails exactly as it does under transformers. Items are computed eagerly.
/// </summary>
internal sealed class PyGenerator(List<object?> items, string typeName = "generator")
{
    public List<object?> Items { get; } = items;

    public string TypeName { get; } = typeName;
}
