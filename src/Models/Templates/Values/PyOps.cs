using System.Globalization;
using System.Text;

namespace SteerServer.Models.Templates.Values;

/// <summary>
/// Python semantics for template values: str(), repr(), truthiness, ==, &lt;, arithmetic, len(), iteration.
/// Values are null (None), <see cref="Undefined"/>, bool, long, double, string, <see cref="Markup"/>,
/// List&lt;object?&gt; (list), <see cref="PyTuple"/>, <see cref="PyDict"/>, <see cref="PyGenerator"/>,
/// <see cref="Namespace"/>, <see cref="LoopContext"/> and <see cref="ICallable"/>.
/// </summary>
internal static class PyOps
{
    // ---------------------------------------------------------------- type names and str()/repr()

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        Markup => "Markup",
        List<object?> => "list",
        PyTuple => "tuple",
        PyDict => "dict",
        PyGenerator g => g.TypeName,
        DictView dv => dv.TypeName,
        Undefined => "Undefined",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        Macro => "Macro",
        _ => "function",
    };

    /// <summary>Jinja's <c>object_type_repr</c>: "None", "dict object", "list object"...</summary>
    public static string ObjectTypeRepr(object? v) => v switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        _ => TypeName(v) + " object",
    };

    /// <summary>Python <c>str(v)</c>, which is how <c>{{ v }}</c> prints.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        Markup m => m.Value,
        Undefined => "",
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case string s:
                sb.Append(ReprString(s));
                break;
            case Markup m:
                sb.Append("Markup(").Append(ReprString(m.Value)).Append(')');
                break;
            case List<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, list[i]);
                }
                sb.Append(']');
                break;
            case PyTuple t:
                sb.Append('(');
                for (var i = 0; i < t.Items.Length; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, t.Items[i]);
                }
                if (t.Items.Length == 1) sb.Append(',');
                sb.Append(')');
                break;
            case PyDict d:
                sb.Append('{');
                var first = true;
                foreach (var kv in d)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendRepr(sb, kv.Key);
                    sb.Append(": ");
                    AppendRepr(sb, kv.Value);
                }
                sb.Append('}');
                break;
            case Undefined:
                sb.Append("Undefined");
                break;
            case Namespace ns:
                sb.Append("<Namespace ");
                AppendRepr(sb, ns.Attributes);
                sb.Append('>');
                break;
            case Macro mac:
                sb.Append("<Macro ").Append(ReprString(mac.Name)).Append('>');
                break;
            case LoopContext loop:
                sb.Append("<LoopContext ").Append(loop.Index).Append('/').Append(loop.Length).Append('>');
                break;
            case PyGenerator g:
                sb.Append('<').Append(g.TypeName).Append(" object>");
                break;
            case DictView dv:
                sb.Append(dv.TypeName).Append('(');
                AppendRepr(sb, dv.Items);
                sb.Append(')');
                break;
            case ICallable:
                sb.Append("<function>");
                break;
            default:
                sb.Append(Str(v));
                break;
        }
    }

    /// <summary>Python <c>repr(str)</c>: single quotes unless the text holds ' and no ".</summary>
    public static string ReprString(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2);
        sb.Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == quote || c == '\\') { sb.Append('\\').Append(c); continue; }
            switch (c)
            {
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, s[i + 1]);
                if (IsPrintable(CharUnicodeInfo.GetUnicodeCategory(cp)))
                    sb.Append(c).Append(s[i + 1]);
                else
                    sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
                i++;
                continue;
            }
            if (c == ' ' || (c > ' ' && c < 0x7f) || (c > 0xa0 && IsPrintable(CharUnicodeInfo.GetUnicodeCategory(c))))
                sb.Append(c);
            else if (c <= 0xff)
                sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        sb.Append(quote);
        return sb.ToString();
    }

    // Python's str.isprintable: everything except the "Other" and "Separator" categories (space aside).
    private static bool IsPrintable(UnicodeCategory cat) => cat switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };

    /// <summary>Python <c>repr(float)</c>: shortest round-trip digits, ".0" on integers, exponent outside 1e-4..1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        // Split .NET's shortest form into digits and decimal-point position (value = 0.DIGITS × 10^decpt).
        var ePos = r.IndexOfAny(['E', 'e']);
        var mantissa = ePos < 0 ? r : r[..ePos];
        var exp = ePos < 0 ? 0 : int.Parse(r[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var decpt = (dot < 0 ? mantissa.Length : dot) + exp;
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; decpt--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var sb = new StringBuilder();
        if (d < 0) sb.Append('-');
        if (decpt > -4 && decpt <= 16)
        {
            if (decpt <= 0)
                sb.Append("0.").Append('0', -decpt).Append(digits);
            else if (decpt >= digits.Length)
                sb.Append(digits).Append('0', decpt - digits.Length).Append(".0");
            else
                sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            var e = decpt - 1;
            sb.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    // ---------------------------------------------------------------- truthiness, equality, ordering

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        Markup m => m.Value.Length > 0,
        Undefined => false,
        List<object?> l => l.Count > 0,
        PyTuple t => t.Items.Length > 0,
        PyDict d => d.Count > 0,
        DictView dv => dv.Items.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static bool IsString(object? v) => v is string or Markup;

    /// <summary>The text of a str or Markup.</summary>
    public static string? AsString(object? v) => v switch
    {
        string s => s,
        Markup m => m.Value,
        _ => null,
    };

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw TemplateRuntimeException.Type($"expected a number, got '{TypeName(v)}'"),
    };

    public static bool PyEquals(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        switch (a)
        {
            case null: return b is null;
            case bool or long or double when IsNumber(b):
                if (a is double || b is double) return ToDouble(a) == ToDouble(b);
                return ToLong(a) == ToLong(b);
            case string or Markup when IsString(b):
                return string.Equals(AsString(a), AsString(b), StringComparison.Ordinal);
            case List<object?> la when b is List<object?> lb:
                return SequenceEquals(la, lb);
            case PyTuple ta when b is PyTuple tb:
                return SequenceEquals(ta.Items, tb.Items);
            case PyDict da when b is PyDict db:
                if (da.Count != db.Count) return false;
                foreach (var kv in da)
                    if (!db.TryGetValue(kv.Key, out var other) || !PyEquals(kv.Value, other)) return false;
                return true;
            case Undefined: return b is Undefined;
            default: return false;
        }
    }

    private static bool SequenceEquals(IList<object?> a, IList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
            if (!PyEquals(a[i], b[i])) return false;
        return true;
    }

    private static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => (long)ToDouble(v),
    };

    /// <summary>Python ordering (&lt; &gt; and sort). Mixed types raise TypeError as in Python.</summary>
    public static int Compare(object? a, object? b, string op = "<")
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return ToLong(a).CompareTo(ToLong(b));
        }
        if (IsString(a) && IsString(b))
            return string.CompareOrdinal(AsString(a), AsString(b));
        if (a is List<object?> la && b is List<object?> lb)
            return CompareSequences(la, lb);
        if (a is PyTuple ta && b is PyTuple tb)
            return CompareSequences(ta.Items, tb.Items);
        if (a is Undefined ua) throw ua.Error();
        if (b is Undefined ub) throw ub.Error();
        throw TemplateRuntimeException.Type($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static int CompareSequences(IList<object?> a, IList<object?> b)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            if (PyEquals(a[i], b[i])) continue;
            return Compare(a[i], b[i]);
        }
        return a.Count.CompareTo(b.Count);
    }

    // ---------------------------------------------------------------- arithmetic

    public static object? Add(object? a, object? b)
    {
        ThrowIfUndefined(a, b);
        if (a is Markup || b is Markup)
        {
            // markupsafe: the plain str side is HTML-escaped, the result is Markup.
            if (IsString(a) && IsString(b))
                return new Markup((a is Markup ma ? ma.Value : Markup.Escape((string)a!)) + (b is Markup mb ? mb.Value : Markup.Escape((string)b!)));
        }
        switch (a)
        {
            case string sa when b is string sb:
                return string.Concat(sa, sb);
            case string when !IsString(b):
                throw TemplateRuntimeException.Type($"can only concatenate str (not \"{TypeName(b)}\") to str");
            case List<object?> la when b is List<object?> lb:
                return new List<object?>(la.Concat(lb));
            case List<object?>:
                throw TemplateRuntimeException.Type($"can only concatenate list (not \"{TypeName(b)}\") to list");
            case PyTuple ta when b is PyTuple tb:
                return new PyTuple([.. ta.Items, .. tb.Items]);
        }
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) + ToDouble(b);
            return checked(ToLong(a) + ToLong(b));
        }
        throw Unsupported("+", a, b);
    }

    public static object? Arithmetic(string op, object? a, object? b)
    {
        if (op == "+") return Add(a, b);
        if (op == "%" && IsString(a))
            return StringMethods.PercentFormat(AsString(a)!, b);
        ThrowIfUndefined(a, b);
        if (op == "*")
        {
            if (IsString(a) && b is long or bool) return Repeat(AsString(a)!, ToLong(b));
            if (IsString(b) && a is long or bool) return Repeat(AsString(b)!, ToLong(a));
            if (a is List<object?> la && b is long or bool) return RepeatList(la, ToLong(b));
            if (b is List<object?> lb && a is long or bool) return RepeatList(lb, ToLong(a));
            if (a is PyTuple ta && b is long or bool) return new PyTuple([.. RepeatList([.. ta.Items], ToLong(b))]);
            if (b is PyTuple tb && a is long or bool) return new PyTuple([.. RepeatList([.. tb.Items], ToLong(a))]);
        }
        if (!IsNumber(a) || !IsNumber(b))
            throw Unsupported(op, a, b);
        var isFloat = a is double || b is double;
        switch (op)
        {
            case "-":
                return isFloat ? (object)(ToDouble(a) - ToDouble(b)) : checked(ToLong(a) - ToLong(b));
            case "*":
                return isFloat ? (object)(ToDouble(a) * ToDouble(b)) : checked(ToLong(a) * ToLong(b));
            case "/":
                if (ToDouble(b) == 0) throw new TemplateRuntimeException("ZeroDivisionError", "division by zero");
                return ToDouble(a) / ToDouble(b);
            case "//":
                if (ToDouble(b) == 0) throw new TemplateRuntimeException("ZeroDivisionError", "integer division or modulo by zero");
                if (isFloat) return Math.Floor(ToDouble(a) / ToDouble(b));
                return FloorDiv(ToLong(a), ToLong(b));
            case "%":
                if (ToDouble(b) == 0) throw new TemplateRuntimeException("ZeroDivisionError", "integer division or modulo by zero");
                if (isFloat)
                {
                    double x = ToDouble(a), y = ToDouble(b);
                    var m = x % y;
                    if (m != 0 && (m < 0) != (y < 0)) m += y;
                    else if (m == 0) m = Math.CopySign(0.0, y);
                    return m;
                }
                else
                {
                    long x = ToLong(a), y = ToLong(b);
                    var m = x % y;
                    if (m != 0 && (m < 0) != (y < 0)) m += y;
                    return m;
                }
            case "**":
                if (!isFloat && ToLong(b) >= 0)
                {
                    long result = 1, bas = ToLong(a);
                    for (var e = ToLong(b); e > 0; e--) result = checked(result * bas);
                    return result;
                }
                return Math.Pow(ToDouble(a), ToDouble(b));
        }
        throw Unsupported(op, a, b);
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
        return q;
    }

    private static string Repeat(string s, long n)
    {
        if (n <= 0) return "";
        var sb = new StringBuilder(s.Length * (int)n);
        for (var i = 0; i < n; i++) sb.Append(s);
        return sb.ToString();
    }

    private static List<object?> RepeatList(List<object?> l, long n)
    {
        var r = new List<object?>();
        for (var i = 0; i < n; i++) r.AddRange(l);
        return r;
    }

    public static object? Negate(object? v) => v switch
    {
        long l => (object)(-l),
        double d => (object)(-d),
        bool b => (object)(b ? -1L : 0L),
        Undefined u => throw u.Error(),
        _ => throw TemplateRuntimeException.Type($"bad operand type for unary -: '{TypeName(v)}'"),
    };

    public static object? Plus(object? v) => v switch
    {
        long or double => v,
        bool b => (object)(b ? 1L : 0L),
        Undefined u => throw u.Error(),
        _ => throw TemplateRuntimeException.Type($"bad operand type for unary +: '{TypeName(v)}'"),
    };

    private static void ThrowIfUndefined(object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Error();
        if (b is Undefined ub) throw ub.Error();
    }

    private static TemplateRuntimeException Unsupported(string op, object? a, object? b) =>
        TemplateRuntimeException.Type($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");

    // ---------------------------------------------------------------- containers

    /// <summary>Python <c>len(v)</c>; Jinja's <c>|length</c> gives 0 for Undefined.</summary>
    public static long Length(object? v) => v switch
    {
        string s => CodePointLength(s),
        Markup m => CodePointLength(m.Value),
        List<object?> l => l.Count,
        PyTuple t => t.Items.Length,
        PyDict d => d.Count,
        DictView dv => dv.Items.Count,
        Namespace ns => ns.Attributes.Count,
        Undefined => 0,
        _ => throw TemplateRuntimeException.Type($"object of type '{TypeName(v)}' has no len()"),
    };

    public static int CodePointLength(string s)
    {
        var n = s.Length;
        foreach (var c in s)
            if (char.IsLowSurrogate(c)) n--;
        return n;
    }

    /// <summary>Python <c>iter(v)</c>: lists, tuples, dict keys, string characters; Undefined is empty.</summary>
    public static IReadOnlyList<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        PyTuple t => t.Items,
        PyDict d => d.Keys.ToList(),
        PyGenerator g => g.Items,
        DictView dv => dv.Items,
        string s => Chars(s),
        Markup m => Chars(m.Value),
        Undefined => [],
        Namespace ns => ns.Attributes.Keys.ToList(),
        _ => throw TemplateRuntimeException.Type($"'{TypeName(v)}' object is not iterable"),
    };

    public static List<object?> Chars(string s)
    {
        var list = new List<object?>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(s.Substring(i, 2));
                i++;
            }
            else
                list.Add(s[i].ToString());
        }
        return list;
    }

    /// <summary>Python <c>x in container</c>.</summary>
    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string or Markup:
                if (!IsString(item))
                    throw TemplateRuntimeException.Type($"'in <string>' requires string as left operand, not {TypeName(item)}");
                return AsString(container)!.Contains(AsString(item)!, StringComparison.Ordinal);
            case PyDict d:
                if (item is List<object?> or PyDict) throw TemplateRuntimeException.Type($"unhashable type: '{TypeName(item)}'");
                return item != null && d.ContainsKey(item);
            case Namespace ns:
                return item != null && ns.Attributes.ContainsKey(item);
            case Undefined:
                return false;
        }
        foreach (var x in Iterate(container))
            if (PyEquals(x, item)) return true;
        return false;
    }

    /// <summary>Python <c>isspace</c> for one UTF-16 unit (adds the four information separators .NET leaves out).</summary>
    public static bool IsPyWhiteSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');
}
