namespace SteerServer.Models.Templates.Values;

/// <summary>The <c>loop</c> variable of a <c>for</c> block (index, first, last, length, previtem, cycle()...).</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int depth0)
{
    private readonly IReadOnlyList<object?> items = items;

    public int Index0 { get; set; }

    public int Index => Index0 + 1;

    public int Length => items.Count;

    public int Depth0 { get; } = depth0;

    public object? GetAttribute(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)Index,
        "revindex" => (long)(Length - Index0),
        "revindex0" => (long)(Length - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == Length - 1,
        "length" => (long)Length,
        "depth" => (long)Depth0 + 1,
        "depth0" => (long)Depth0,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : Undefined.Member(this, "previtem"),
        "nextitem" => Index0 + 1 < Length ? items[Index0 + 1] : Undefined.Member(this, "nextitem"),
        "cycle" => new BuiltinFunction("cycle", (_, a) =>
            a.Count == 0 ? throw TemplateRuntimeException.Type("no items for cycling given") : a.Positional[Index0 % a.Count]),
        "changed" => new BuiltinFunction("changed", (_, a) => Changed(a)),
        _ => Undefined.Member(this, name),
    };

    private List<object?>? lastChanged;

    private bool Changed(CallArgs a)
    {
        var value = a.Positional;
        if (lastChanged != null && PyOps.PyEquals(lastChanged, value)) return false;
        lastChanged = value;
        return true;
    }
}
