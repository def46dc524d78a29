namespace SteerServer.Models.Templates;

/// <summary>
/// One variable scope. Loops (one frame per iteration), macros and block sets open a child frame, so a
/// <c>{% set %}</c> inside them does not leak out, as in Jinja; <c>if</c> does not open one.
/// </summary>
internal sealed class Frame(Frame? parent)
{
    private readonly Dictionary<string, object?> vars = new(StringComparer.Ordinal);

    public Frame? Parent { get; } = parent;

    public void Set(string name, object? value) => vars[name] = value;

    public bool TryGet(string name, out object? value)
    {
        for (var f = this; f != null; f = f.Parent)
            if (f.vars.TryGetValue(name, out value))
                return true;
        value = null;
        return false;
    }
}
