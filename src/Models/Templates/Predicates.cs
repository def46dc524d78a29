using SteerServer.Models.Templates.Values;

namespace SteerServer.Models.Templates;

/// <summary>Jinja's tests (<c>x is defined</c>, <c>x is string</c>, <c>x is equalto y</c>...) with Python semantics.</summary>
internal static class Predicates
{
    private delegate bool Predicate(Interpreter it, object? value, CallArgs args);

    private static object? Arg(CallArgs a) => a.Get(0, "other");

    private static readonly Dictionary<string, Predicate> Table = new(StringComparer.Ordinal)
    {
        ["boolean"] = (_, v, _) => v is bool,
        ["callable"] = (_, v, _) => v is ICallable or Undefined,
        ["defined"] = (_, v, _) => v is not Undefined,
        ["divisibleby"] = (_, v, a) => Convert.ToInt64(PyOps.ToDouble(v)) % Convert.ToInt64(PyOps.ToDouble(a.Get(0, "num"))) == 0,
        ["eq"] = (_, v, a) => PyOps.PyEquals(v, Arg(a)),
        ["equalto"] = (_, v, a) => PyOps.PyEquals(v, Arg(a)),
        ["=="] = (_, v, a) => PyOps.PyEquals(v, Arg(a)),
        ["escaped"] = (_, v, _) => v is Markup,
        ["even"] = (_, v, _) => PyOps.PyEquals(PyOps.Arithmetic("%", v, 2L), 0L),
        ["false"] = (_, v, _) => v is false,
        ["filter"] = (_, v, _) => v is string s && Filters.Exists(s),
        ["float"] = (_, v, _) => v is double,
        ["ge"] = (_, v, a) => PyOps.Compare(v, Arg(a), ">=") >= 0,
        [">="] = (_, v, a) => PyOps.Compare(v, Arg(a), ">=") >= 0,
        ["gt"] = (_, v, a) => PyOps.Compare(v, Arg(a), ">") > 0,
        ["greaterthan"] = (_, v, a) => PyOps.Compare(v, Arg(a), ">") > 0,
        [">"] = (_, v, a) => PyOps.Compare(v, Arg(a), ">") > 0,
        ["in"] = (_, v, a) => PyOps.Contains(a.Get(0, "seq"), v),
        ["integer"] = (_, v, _) => v is long,
        ["iterable"] = (_, v, _) => v is List<object?> or PyTuple or PyDict or string or Markup or PyGenerator or DictView or Undefined,
        ["le"] = (_, v, a) => PyOps.Compare(v, Arg(a), "<=") <= 0,
        ["<="] = (_, v, a) => PyOps.Compare(v, Arg(a), "<=") <= 0,
        ["lower"] = (_, v, _) => PyOps.Str(v) is var s && s.Any(char.IsLetter) && !s.Any(char.IsUpper),
        ["lt"] = (_, v, a) => PyOps.Compare(v, Arg(a), "<") < 0,
        ["lessthan"] = (_, v, a) => PyOps.Compare(v, Arg(a), "<") < 0,
        ["<"] = (_, v, a) => PyOps.Compare(v, Arg(a), "<") < 0,
        ["mapping"] = (_, v, _) => v is PyDict,
        ["ne"] = (_, v, a) => !PyOps.PyEquals(v, Arg(a)),
        ["!="] = (_, v, a) => !PyOps.PyEquals(v, Arg(a)),
        ["none"] = (_, v, _) => v is null,
        ["number"] = (_, v, _) => v is long or double or bool,
        ["odd"] = (_, v, _) => PyOps.PyEquals(PyOps.Arithmetic("%", v, 2L), 1L),
        ["sameas"] = (_, v, a) => v is null or bool ? Equals(v, Arg(a)) : ReferenceEquals(v, Arg(a)) || (v is long or double or string && Equals(v, Arg(a))),
        ["sequence"] = (_, v, _) => v is List<object?> or PyTuple or PyDict or string or Markup or Undefined,
        ["string"] = (_, v, _) => v is string or Markup,
        ["test"] = (_, v, _) => v is string s && Exists(s),
        ["true"] = (_, v, _) => v is true,
        ["undefined"] = (_, v, _) => v is Undefined,
        ["upper"] = (_, v, _) => PyOps.Str(v) is var s && s.Any(char.IsLetter) && !s.Any(char.IsLower),
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static bool Test(Interpreter it, string name, object? value, CallArgs args) =>
        Table.TryGetValue(name, out var p)
            ? p(it, value, args)
            : throw new TemplateRuntimeException("TemplateRuntimeError", $"No test named '{name}'.");
}
