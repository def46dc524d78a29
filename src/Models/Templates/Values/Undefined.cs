namespace SteerServer.Models.Templates.Values;

/// <summary>
/// Jinja's default <c>Undefined</c>: prints as empty, is falsy, iterates as empty, but raises when an attribute,
/// item or arithmetic is asked of it. Remembers what was looked up so the error names it as Jinja does.
/// </summary>
internal sealed class Undefined
{
    public static readonly Undefined Missing = new(null, false, null, null);

    private readonly string? name;
    private readonly bool hasObj;
    private readonly object? obj;
    private readonly string? hint;

    private Undefined(string? name, bool hasObj, object? obj, string? hint)
    {
        this.name = name;
        this.hasObj = hasObj;
        this.obj = obj;
        this.hint = hint;
    }

    /// <summary>A name that is not defined: <c>'x' is undefined</c>.</summary>
    public static Undefined Name(string name) => new(name, false, null, null);

    /// <summary>A missing attribute or item of <paramref name="obj"/>.</summary>
    public static Undefined Member(object? obj, object? key) => new(key is string s ? s : PyOps.Repr(key), true, obj, null) { KeyIsName = key is string };

    /// <summary>An attribute the sandbox refuses (list.append...): raises SecurityError when used.</summary>
    public static Undefined Unsafe(string message) => new(null, false, null, message);

    private bool KeyIsName { get; init; }

    /// <summary>The message Jinja's <c>_undefined_message</c> builds.</summary>
    public string Message
    {
        get
        {
            if (hint != null)
                return hint;
            if (name == null)
                return "value is undefined";
            if (!hasObj)
                return $"'{name}' is undefined";
            if (KeyIsName)
                return $"{PyOps.ReprString(PyOps.ObjectTypeRepr(obj))} has no attribute {PyOps.ReprString(name)}";
            return $"{PyOps.ReprString(PyOps.ObjectTypeRepr(obj))} has no element {name}";
        }
    }

    public TemplateRuntimeException Error() =>
        new(hint != null ? "SecurityError" : "UndefinedError", Message);
}
