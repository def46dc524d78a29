using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SteerServer.Models.Templates.Values;

namespace SteerServer.Models.Templates;

/// <summary>
/// Jinja's built-in filters with Python semantics, plus transformers' <c>tojson</c> (json.dumps, ensure_ascii off).
/// Filters that return generators in Jinja (map, select*, reject*, items, unique, batch, reverse) return a
/// <see cref="PyGenerator"/>, so <c>| length</c> on them fails as it does in Python.
/// </summary>
internal static partial class Filters
{
    private delegate object? Filter(Interpreter it, object? value, CallArgs args);

    private static readonly Dictionary<string, Filter> Table = new(StringComparer.Ordinal)
    {
        ["abs"] = (_, v, _) => v switch
        {
            long l => (object)Math.Abs(l),
            double d => (object)Math.Abs(d),
            bool b => (object)(b ? 1L : 0L),
            _ => throw TemplateRuntimeException.Type($"bad operand type for abs(): '{PyOps.TypeName(v)}'"),
        },
        ["attr"] = (_, v, a) => Access.GetAttr(v, PyOps.Str(a.Get(0, "name"))),
        ["batch"] = (_, v, a) => Batch(v, a),
        ["capitalize"] = (_, v, _) => StringMethods.Capitalize(PyOps.Str(v)),
        ["center"] = (_, v, a) => Access.GetAttr(PyOps.Str(v), "center") is ICallable c ? c.Call(null!, new CallArgs([a.Get(0, "width", 80L)], [])) : null,
        ["count"] = (_, v, _) => PyOps.Length(v),
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = (_, v, a) => DictSort(v, a),
        ["e"] = (_, v, _) => Escape(v),
        ["escape"] = (_, v, _) => Escape(v),
        ["first"] = (_, v, _) => PyOps.Iterate(v) is { Count: > 0 } items ? items[0] : Undefined.Name("first"),
        ["float"] = (_, v, a) => v is Undefined u ? throw u.Error() : ToFloat(v) ?? a.Get(0, "default", 0.0),
        ["forceescape"] = (_, v, _) => new Markup(Markup.Escape(PyOps.Str(v))),
        ["format"] = (_, v, a) => StringMethods.PercentFormat(PyOps.Str(v), a.Named.Count > 0 ? ToDict(a.Named) : new PyTuple([.. a.Positional])),
        ["indent"] = (_, v, a) => Indent(v, a),
        ["int"] = (_, v, a) => v is Undefined u ? throw u.Error() : ToInt(v, a.Get(1, "base", 10L)) ?? a.Get(0, "default", 0L),
        ["items"] = (_, v, _) => v switch
        {
            Undefined => new PyGenerator([]),
            PyDict d => new PyGenerator(d.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList()),
            _ => throw TemplateRuntimeException.Type("Can only get item pairs from a mapping."),
        },
        ["join"] = (_, v, a) => Join(v, a),
        ["last"] = (_, v, _) => v is PyGenerator g
            ? throw TemplateRuntimeException.Type($"'{g.TypeName}' object is not reversible")
            : PyOps.Iterate(v) is { Count: > 0 } items ? items[^1] : Undefined.Name("last"),
        ["length"] = (_, v, _) => PyOps.Length(v),
        ["list"] = (_, v, _) => new List<object?>(PyOps.Iterate(v)),
        ["lower"] = (_, v, _) => PyOps.Str(v).ToLowerInvariant(),
        ["map"] = Map,
        ["max"] = (it, v, a) => MinMax(it, v, a, max: true),
        ["min"] = (it, v, a) => MinMax(it, v, a, max: false),
        ["pprint"] = (_, v, _) => PyOps.Repr(v),
        ["reject"] = (it, v, a) => SelectOrReject(it, v, a, lookupAttr: false, keep: false),
        ["rejectattr"] = (it, v, a) => SelectOrReject(it, v, a, lookupAttr: true, keep: false),
        ["replace"] = (_, v, a) => StringMethods.Replace(PyOps.Str(v), PyOps.Str(a.Get(0, "old")), PyOps.Str(a.Get(1, "new")),
            a.Get(2, "count") is long n ? n : -1),
        ["reverse"] = (_, v, _) => v switch
        {
            string or Markup => string.Concat(PyOps.Chars(PyOps.AsString(v)!).Select(x => (string)x!).Reverse()),
            _ => new PyGenerator(PyOps.Iterate(v).Reverse().ToList(), "list_reverseiterator"),
        },
        ["round"] = (_, v, a) => Round(v, a),
        ["safe"] = (_, v, _) => v as Markup ?? new Markup(PyOps.Str(v)),
        ["select"] = (it, v, a) => SelectOrReject(it, v, a, lookupAttr: false, keep: true),
        ["selectattr"] = (it, v, a) => SelectOrReject(it, v, a, lookupAttr: true, keep: true),
        ["sort"] = (_, v, a) => Sort(v, a),
        ["string"] = (_, v, _) => v is Markup ? v : PyOps.Str(v),
        ["sum"] = (_, v, a) => Sum(v, a),
        ["title"] = (_, v, _) => JinjaTitle(PyOps.Str(v)),
        ["tojson"] = (_, v, a) => JsonDumps.Dumps(v,
            ensureAscii: PyOps.Truthy(a.Get(0, "ensure_ascii", false)),
            indent: a.Get(1, "indent"),
            separators: a.Get(2, "separators"),
            sortKeys: PyOps.Truthy(a.Get(3, "sort_keys", false))),
        ["trim"] = (it, v, a) => StringMethods.Strip(it, PyOps.Str(v), a.Get(0, "chars"), true, true),
        ["truncate"] = (_, v, a) => Truncate(PyOps.Str(v), a),
        ["unique"] = (_, v, a) => Unique(v, a),
        ["upper"] = (_, v, _) => PyOps.Str(v).ToUpperInvariant(),
        ["wordcount"] = (_, v, _) => (long)WordRegex().Count(PyOps.Str(v)),
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static object? Apply(Interpreter it, string name, object? value, CallArgs args) =>
        Table.TryGetValue(name, out var f)
            ? f(it, value, args)
            : throw new TemplateRuntimeException("TemplateRuntimeError", $"No filter named '{name}'.");

    // ---------------------------------------------------------------- implementations

    private static object? Default(Interpreter it, object? v, CallArgs a)
    {
        var boolean = PyOps.Truthy(a.Get(1, "boolean", false));
        return v is Undefined || (boolean && !PyOps.Truthy(v)) ? a.Get(0, "default_value", "") : v;
    }

    private static Markup Escape(object? v) => v as Markup ?? new Markup(Markup.Escape(PyOps.Str(v)));

    private static PyDict ToDict(List<KeyValuePair<string, object?>> named)
    {
        var d = new PyDict();
        foreach (var kv in named) d[kv.Key] = kv.Value;
        return d;
    }

    private static object? ToInt(object? v, object? baseArg)
    {
        switch (v)
        {
            case long: return v;
            case bool b: return b ? 1L : 0L;
            case double d when !double.IsNaN(d) && !double.IsInfinity(d): return (long)Math.Truncate(d);
            case string or Markup:
                var s = PyOps.AsString(v)!.Trim().Replace("_", "");
                var b10 = baseArg is long bl ? (int)bl : 10;
                try
                {
                    if (b10 == 10 && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                    if (b10 != 10) return Convert.ToInt64(s, b10);
                }
                catch (FormatException) { }
                catch (ArgumentException) { }
                var f = ToFloat(v);
                return f is double fd && !double.IsNaN(fd) && !double.IsInfinity(fd) ? (long)Math.Truncate(fd) : null;
            default: return null;
        }
    }

    private static double? ToFloat(object? v)
    {
        switch (v)
        {
            case double d: return d;
            case long l: return l;
            case bool b: return b ? 1 : 0;
            case string or Markup:
                var s = PyOps.AsString(v)!.Trim().Replace("_", "").ToLowerInvariant();
                if (s is "inf" or "+inf" or "infinity" or "+infinity") return double.PositiveInfinity;
                if (s is "-inf" or "-infinity") return double.NegativeInfinity;
                if (s is "nan" or "+nan" or "-nan") return double.NaN;
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? r : null;
            default: return null;
        }
    }

    private static string Indent(object? v, CallArgs a)
    {
        var width = a.Get(0, "width", 4L);
        var first = PyOps.Truthy(a.Get(1, "first", false));
        var blank = PyOps.Truthy(a.Get(2, "blank", false));
        var indention = width is string ws ? ws : new string(' ', (int)(long)(width is bool wb ? (wb ? 1L : 0L) : width ?? 4L));
        if (v is Undefined u) throw u.Error();
        if (!PyOps.IsString(v)) // do_indent does `s += "\n"` on the value itself
            throw TemplateRuntimeException.Type($"unsupported operand type(s) for +=: '{PyOps.TypeName(v)}' and 'str'");
        var s = PyOps.Str(v) + "\n"; // Jinja appends a newline so splitlines keeps a trailing empty line
        var lines = StringMethods.SplitLines(s);
        string rv;
        if (blank)
            rv = string.Join("\n" + indention, lines);
        else
        {
            var sb = new StringBuilder(lines.Count > 0 ? lines[0] : "");
            if (lines.Count > 1)
            {
                sb.Append('\n');
                sb.Append(string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indention + line : line)));
            }
            rv = sb.ToString();
        }
        return first ? indention + rv : rv;
    }

    private static string Join(object? v, CallArgs a)
    {
        var sep = PyOps.Str(a.Get(0, "d", ""));
        var items = PyOps.Iterate(v);
        var attribute = a.Get(1, "attribute");
        var getter = attribute is null ? null : AttrGetter(attribute);
        return string.Join(sep, items.Select(x => PyOps.Str(getter == null ? x : getter(x))));
    }

    private static PyGenerator Map(Interpreter it, object? v, CallArgs a)
    {
        var items = PyOps.Truthy(v) ? PyOps.Iterate(v) : []; // do_map starts with `if value:`
        Func<object?, object?> f;
        if (a.Count == 0 && a.Has(-1, "attribute"))
        {
            var getter = AttrGetter(a.Get(-1, "attribute"));
            var hasDefault = a.Has(-1, "default");
            var def = a.Get(-1, "default");
            f = x =>
            {
                var r = getter(x);
                return hasDefault && r is Undefined ? def : r;
            };
        }
        else
        {
            var name = PyOps.Str(a.Get(0, "name"));
            var rest = a.Skip(1);
            f = x => Apply(it, name, x, rest);
        }
        return new PyGenerator(items.Select(f).ToList());
    }

    /// <summary>Jinja's <c>make_attrgetter</c>: "a.b.0" walks items, integer parts index lists.</summary>
    private static Func<object?, object?> AttrGetter(object? attribute)
    {
        if (attribute is long idx)
            return x => Access.GetItem(x, idx);
        var parts = PyOps.Str(attribute).Split('.')
            .Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? (object)n : p).ToArray();
        return x =>
        {
            foreach (var p in parts) x = Access.GetItem(x, p);
            return x;
        };
    }

    private static PyGenerator SelectOrReject(Interpreter it, object? v, CallArgs a, bool lookupAttr, bool keep)
    {
        var items = PyOps.Truthy(v) ? PyOps.Iterate(v) : []; // select_or_reject starts with `if value:`
        var off = 0;
        Func<object?, object?> trans = x => x;
        if (lookupAttr)
        {
            if (a.Count == 0) throw new TemplateRuntimeException("FilterArgumentError", "Missing parameter for attribute name");
            trans = AttrGetter(a.Positional[0]);
            off = 1;
        }
        Func<object?, bool> test;
        if (a.Count > off)
        {
            var name = PyOps.Str(a.Positional[off]);
            var rest = new CallArgs(a.Positional.Skip(off + 1).ToList(), a.Named);
            test = x => PyOps.Truthy(Predicates.Test(it, name, x, rest));
        }
        else
            test = PyOps.Truthy;
        return new PyGenerator(items.Where(x => test(trans(x)) == keep).ToList());
    }

    private static object? SortKey(object? x, bool caseSensitive) =>
        !caseSensitive && x is string s ? s.ToLowerInvariant() : x;

    private static readonly Comparer<object?> KeyComparer = Comparer<object?>.Create((x, y) => PyOps.Compare(x, y));

    private static List<object?> Sort(object? v, CallArgs a)
    {
        var reverse = PyOps.Truthy(a.Get(0, "reverse", false));
        var caseSensitive = PyOps.Truthy(a.Get(1, "case_sensitive", false));
        var attribute = a.Get(2, "attribute");
        var getters = attribute is string attrs
            ? attrs.Split(',').Select(p => AttrGetter(p)).ToArray()
            : attribute is null ? [x => x] : [AttrGetter(attribute)];
        // Keys are lists, as in make_multi_attrgetter, so equal items (None, Undefined) never reach '<'.
        object? Key(object? x) => getters.Select(g => SortKey(g(x), caseSensitive)).ToList();
        var items = PyOps.Iterate(v);
        var sorted = reverse ? items.OrderByDescending(Key, KeyComparer) : items.OrderBy(Key, KeyComparer);
        return sorted.ToList();
    }

    private static List<object?> DictSort(object? v, CallArgs a)
    {
        if (v is not PyDict d) throw TemplateRuntimeException.Type("dictsort expects a mapping");
        var caseSensitive = PyOps.Truthy(a.Get(0, "case_sensitive", false));
        var by = PyOps.Str(a.Get(1, "by", "key"));
        var reverse = PyOps.Truthy(a.Get(2, "reverse", false));
        var pos = by switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new TemplateRuntimeException("FilterArgumentError", "You can only sort by either \"key\" or \"value\""),
        };
        var pairs = d.Select(kv => new PyTuple([kv.Key, kv.Value])).ToList();
        object? Key(PyTuple t) => SortKey(t.Items[pos], caseSensitive);
        var sorted = reverse ? pairs.OrderByDescending(Key, KeyComparer) : pairs.OrderBy(Key, KeyComparer);
        return sorted.Cast<object?>().ToList();
    }

    private static PyGenerator Unique(object? v, CallArgs a)
    {
        var caseSensitive = PyOps.Truthy(a.Get(0, "case_sensitive", false));
        var attribute = a.Get(1, "attribute");
        var getter = attribute is null ? (x => x) : AttrGetter(attribute);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var x in PyOps.Iterate(v))
        {
            var key = SortKey(getter(x), caseSensitive);
            if (seen.Any(s => PyOps.PyEquals(s, key))) continue;
            seen.Add(key);
            result.Add(x);
        }
        return new PyGenerator(result);
    }

    private static object? MinMax(Interpreter it, object? v, CallArgs a, bool max)
    {
        var caseSensitive = PyOps.Truthy(a.Get(0, "case_sensitive", false));
        var attribute = a.Get(1, "attribute");
        var getter = attribute is null ? (x => x) : AttrGetter(attribute);
        var items = PyOps.Iterate(v);
        if (items.Count == 0) return Undefined.Name(max ? "max" : "min");
        var best = items[0];
        foreach (var x in items.Skip(1))
        {
            var c = PyOps.Compare(SortKey(getter(x), caseSensitive), SortKey(getter(best), caseSensitive));
            if (max ? c > 0 : c < 0) best = x;
        }
        return best;
    }

    private static object? Sum(object? v, CallArgs a)
    {
        var attribute = a.Get(0, "attribute");
        object? total = a.Get(1, "start", 0L);
        var getter = attribute is null ? (x => x) : AttrGetter(attribute);
        foreach (var x in PyOps.Iterate(v)) total = PyOps.Add(total, getter(x));
        return total;
    }

    private static object? Round(object? v, CallArgs a)
    {
        var precision = (int)(long)(a.Get(0, "precision", 0L) ?? 0L);
        var method = PyOps.Str(a.Get(1, "method", "common"));
        var x = PyOps.ToDouble(v);
        var scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => v is long or bool && precision >= 0 ? (object)(long)x : Math.Round(x, Math.Max(0, precision), MidpointRounding.ToEven),
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new TemplateRuntimeException("FilterArgumentError", "method must be common, ceil or floor"),
        };
    }

    private static PyGenerator Batch(object? v, CallArgs a)
    {
        var size = (int)(long)a.Get(0, "linecount", 1L)!;
        var fill = a.Has(1, "fill_with");
        var fillWith = a.Get(1, "fill_with");
        var result = new List<object?>();
        List<object?>? current = null;
        foreach (var x in PyOps.Iterate(v))
        {
            current ??= [];
            current.Add(x);
            if (current.Count == size) { result.Add(current); current = null; }
        }
        if (current != null)
        {
            while (fill && current.Count < size) current.Add(fillWith);
            result.Add(current);
        }
        return new PyGenerator(result);
    }

    private static string Truncate(string s, CallArgs a)
    {
        var length = (int)(long)a.Get(0, "length", 255L)!;
        var killwords = PyOps.Truthy(a.Get(1, "killwords", false));
        var end = PyOps.Str(a.Get(2, "end", "..."));
        var leeway = (int)(long)a.Get(3, "leeway", 5L)!;
        if (s.Length <= length + leeway) return s;
        if (killwords) return s[..(length - end.Length)] + end;
        var cut = s[..(length - end.Length)];
        var space = cut.LastIndexOf(' ');
        return (space >= 0 ? cut[..space] : cut) + end;
    }

    /// <summary>Jinja's <c>|title</c> (not Python's str.title): words split at whitespace and <c>-([{&lt;</c>.</summary>
    private static string JinjaTitle(string s)
    {
        var parts = WordBeginningSplit().Split(s);
        var sb = new StringBuilder(s.Length);
        foreach (var item in parts)
            if (item.Length > 0)
                sb.Append(char.ToUpperInvariant(item[0])).Append(item[1..].ToLowerInvariant());
        return sb.ToString();
    }

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginningSplit();

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();
}
