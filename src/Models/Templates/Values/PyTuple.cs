namespace SteerServer.Models.Templates.Values;

/// <summary>A Python tuple: immutable, prints with parentheses.</summary>
internal sealed class PyTuple(object?[] items)
{
    public static readonly PyTuple Empty = new([]);

    public object?[] Items { get; } = items;
}
