using System.Globalization;
using System.Text;
using SteerServer.Models.Templates.Values;

namespace SteerServer.Models.Templates;

/// <summary>
/// The Python methods templates call on values: <c>str</c> (strip, split, startswith, replace, format...),
/// <c>dict</c> (get, items, keys, values) and <c>list</c> (index, count). Mutating methods (append, pop, update...)
/// are refused as the immutable sandbox refuses them.
/// </summary>
internal static class StringMethods
{
    private static readonly HashSet<string> UnsafeDict = ["clear", "pop", "popitem", "setdefault", "update"];
    private static readonly HashSet<string> UnsafeList = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    public static bool TryBindDict(PyDict d, string name, out object? method)
    {
        method = name switch
        {
            "get" => Fn(name, (_, a) => d.TryGetValue(a.Get(0, "key") ?? "", out var v) ? v : a.Get(1, "default")),
            "items" => Fn(name, (_, _) => new DictView("dict_items", d.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList())),
            "keys" => Fn(name, (_, _) => new DictView("dict_keys", d.Keys.Cast<object?>().ToList())),
            "values" => Fn(name, (_, _) => new DictView("dict_values", d.Values.ToList())),
            "copy" => Fn(name, (_, _) => Copy(d)),
            _ when UnsafeDict.Contains(name) => Undefined.Unsafe($"access to attribute '{name}' of 'dict' object is unsafe."),
            _ => null,
        };
        return method != null;
    }

    private static PyDict Copy(PyDict d)
    {
        var c = new PyDict(d.Count);
        foreach (var kv in d) c[kv.Key] = kv.Value;
        return c;
    }

    public static bool TryBindList(List<object?> l, string name, out object? method)
    {
        method = name switch
        {
            "index" => Fn(name, (_, a) =>
            {
                var x = a.Get(0, "value");
                for (var i = 0; i < l.Count; i++)
                    if (PyOps.PyEquals(l[i], x)) return (long)i;
                throw new TemplateRuntimeException("ValueError", $"{PyOps.Repr(x)} is not in list");
            }),
            "count" => Fn(name, (_, a) => (long)l.Count(x => PyOps.PyEquals(x, a.Get(0, "value")))),
            _ when UnsafeList.Contains(name) => Undefined.Unsafe($"access to attribute '{name}' of 'list' object is unsafe."),
            _ => null,
        };
        return method != null;
    }

    public static bool TryBindString(object? receiver, string name, out object? method)
    {
        var s = PyOps.AsString(receiver)!;
        var isMarkup = receiver is Markup;
        method = name switch
        {
            "strip" => Fn(name, (it, a) => Strip(it, s, a.Get(0, "chars"), true, true)),
            "lstrip" => Fn(name, (it, a) => Strip(it, s, a.Get(0, "chars"), true, false)),
            "rstrip" => Fn(name, (it, a) => Strip(it, s, a.Get(0, "chars"), false, true)),
            "upper" => Fn(name, (_, _) => s.ToUpperInvariant()),
            "lower" => Fn(name, (_, _) => s.ToLowerInvariant()),
            "title" => Fn(name, (_, _) => PyTitle(s)),
            "capitalize" => Fn(name, (_, _) => Capitalize(s)),
            "swapcase" => Fn(name, (_, _) => string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)))),
            "startswith" => Fn(name, (_, a) => Affix(s, a.Get(0, "prefix"), true)),
            "endswith" => Fn(name, (_, a) => Affix(s, a.Get(0, "suffix"), false)),
            "split" => Fn(name, (_, a) => Split(s, a.Get(0, "sep"), a.Get(1, "maxsplit", -1L))),
            "rsplit" => Fn(name, (_, a) => RSplit(s, a.Get(0, "sep"), a.Get(1, "maxsplit", -1L))),
            "splitlines" => Fn(name, (_, a) => SplitLines(s, PyOps.Truthy(a.Get(0, "keepends", false))).Cast<object?>().ToList()),
            "replace" => Fn(name, (_, a) =>
            {
                if (a.Named.Count > 0) throw TemplateRuntimeException.Type("str.replace() takes no keyword arguments");
                return Replace(s, Str(a.Get(0, "old")), Str(a.Get(1, "new")), a.Count > 2 ? (long)a.Positional[2]! : -1);
            }),
            "find" => Fn(name, (_, a) => (long)s.IndexOf(Str(a.Get(0, "sub")), StringComparison.Ordinal)),
            "rfind" => Fn(name, (_, a) => (long)s.LastIndexOf(Str(a.Get(0, "sub")), StringComparison.Ordinal)),
            "index" => Fn(name, (_, a) =>
            {
                var i = s.IndexOf(Str(a.Get(0, "sub")), StringComparison.Ordinal);
                return i >= 0 ? (long)i : throw new TemplateRuntimeException("ValueError", "substring not found");
            }),
            "count" => Fn(name, (_, a) => (long)CountOccurrences(s, Str(a.Get(0, "sub")))),
            "join" => Fn(name, (_, a) => string.Join(s, PyOps.Iterate(a.Get(0, "iterable")).Select(x => x is string xs ? xs : throw TemplateRuntimeException.Type($"sequence item: expected str instance, {PyOps.TypeName(x)} found")))),
            "isdigit" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
            "isnumeric" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
            "isalpha" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsLetter)),
            "isalnum" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsLetterOrDigit)),
            "isspace" => Fn(name, (_, _) => s.Length > 0 && s.All(PyOps.IsPyWhiteSpace)),
            "islower" => Fn(name, (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsUpper)),
            "isupper" => Fn(name, (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsLower)),
            "format" => Fn(name, (_, a) => Format(s, a)),
            "center" => Fn(name, (_, a) => Center(s, (int)(long)a.Get(0, "width", 80L)!)),
            "zfill" => Fn(name, (_, a) => s.PadLeft((int)(long)a.Get(0, "width", 0L)!, '0')),
            "ljust" => Fn(name, (_, a) => s.PadRight((int)(long)a.Get(0, "width", 0L)!, Str(a.Get(1, "fillchar", " "))[0])),
            "rjust" => Fn(name, (_, a) => s.PadLeft((int)(long)a.Get(0, "width", 0L)!, Str(a.Get(1, "fillchar", " "))[0])),
            "removeprefix" => Fn(name, (_, a) => s.StartsWith(Str(a.Get(0, "prefix")), StringComparison.Ordinal) ? s[Str(a.Get(0, "prefix")).Length..] : s),
            "removesuffix" => Fn(name, (_, a) =>
            {
                var suf = Str(a.Get(0, "suffix"));
                return suf.Length > 0 && s.EndsWith(suf, StringComparison.Ordinal) ? s[..^suf.Length] : s;
            }),
            _ => null,
        };
        if (isMarkup && method is BuiltinFunction f && name is "strip" or "lstrip" or "rstrip" or "replace" or "format")
            method = Fn(name, (it, a) => f.Call(it, a) is string r ? new Markup(r) : f.Call(it, a));
        return method != null;
    }

    private static BuiltinFunction Fn(string name, Func<Interpreter, CallArgs, object?> body) => new(name, body);

    private static string Str(object? v) => PyOps.AsString(v) ?? throw TemplateRuntimeException.Type($"must be str, not {PyOps.TypeName(v)}");

    // ---------------------------------------------------------------- helpers also used by filters

    /// <summary>Python <c>str.strip([chars])</c>; keeps content provenance of what remains.</summary>
    public static string Strip(Interpreter? it, string s, object? chars, bool left, bool right)
    {
        var set = chars is null ? null : Str(chars);
        var a = 0;
        var b = s.Length;
        if (left)
            while (a < b && (set == null ? PyOps.IsPyWhiteSpace(s[a]) : set.Contains(s[a]))) a++;
        if (right)
            while (b > a && (set == null ? PyOps.IsPyWhiteSpace(s[b - 1]) : set.Contains(s[b - 1]))) b--;
        if (a == 0 && b == s.Length) return s;
        var result = s[a..b];
        return it?.Tracker == null ? result : it.Tracker.Substring(s, result, a);
    }

    private static bool Affix(string s, object? arg, bool prefix)
    {
        if (arg is PyTuple t)
            return t.Items.Any(x => Affix(s, x, prefix));
        var p = Str(arg);
        return prefix ? s.StartsWith(p, StringComparison.Ordinal) : s.EndsWith(p, StringComparison.Ordinal);
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python <c>str.title()</c>: a letter after a non-letter starts a word.</summary>
    public static string PyTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        var prevCased = false;
        foreach (var c in s)
        {
            sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            prevCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    private static string Center(string s, int width)
    {
        if (width <= s.Length) return s;
        var total = width - s.Length;
        var left = total / 2 + (total & width & 1);
        return new string(' ', left) + s + new string(' ', total - left);
    }

    private static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return PyOps.CodePointLength(s) + 1;
        var n = 0;
        for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Python <c>str.replace(old, new, count)</c> (an empty <paramref name="old"/> inserts between characters).</summary>
    public static string Replace(string s, string old, string @new, long count)
    {
        if (count < 0) count = long.MaxValue;
        var sb = new StringBuilder();
        if (old.Length == 0)
        {
            var chars = PyOps.Chars(s);
            long done = 0;
            for (var i = 0; i <= chars.Count; i++)
            {
                if (done < count) { sb.Append(@new); done++; }
                if (i < chars.Count) sb.Append((string)chars[i]!);
            }
            return sb.ToString();
        }
        var pos = 0;
        long replaced = 0;
        while (replaced < count)
        {
            var i = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (i < 0) break;
            sb.Append(s, pos, i - pos).Append(@new);
            pos = i + old.Length;
            replaced++;
        }
        sb.Append(s, pos, s.Length - pos);
        return sb.ToString();
    }

    private static long MaxSplit(object? v) => v switch
    {
        null => -1,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw TemplateRuntimeException.Type($"'{PyOps.TypeName(v)}' object cannot be interpreted as an integer"),
    };

    public static List<object?> Split(string s, object? sep, object? maxsplitArg)
    {
        var maxsplit = MaxSplit(maxsplitArg);
        var result = new List<object?>();
        if (sep is null)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && PyOps.IsPyWhiteSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxsplit >= 0 && result.Count == maxsplit)
                {
                    result.Add(s[i..]);
                    break;
                }
                var j = i;
                while (j < s.Length && !PyOps.IsPyWhiteSpace(s[j])) j++;
                result.Add(s[i..j]);
                i = j;
            }
            return result;
        }
        var d = Str(sep);
        if (d.Length == 0) throw new TemplateRuntimeException("ValueError", "empty separator");
        var pos = 0;
        while (maxsplit < 0 || result.Count < maxsplit)
        {
            var k = s.IndexOf(d, pos, StringComparison.Ordinal);
            if (k < 0) break;
            result.Add(s[pos..k]);
            pos = k + d.Length;
        }
        result.Add(s[pos..]);
        return result;
    }

    private static List<object?> RSplit(string s, object? sep, object? maxsplitArg)
    {
        var maxsplit = MaxSplit(maxsplitArg);
        if (maxsplit < 0) return Split(s, sep, -1L);
        var result = new List<object?>();
        if (sep is null)
        {
            var j = s.Length;
            while (true)
            {
                while (j > 0 && PyOps.IsPyWhiteSpace(s[j - 1])) j--;
                if (j == 0) break;
                if (result.Count == maxsplit)
                {
                    result.Add(s[..j]);
                    break;
                }
                var i = j;
                while (i > 0 && !PyOps.IsPyWhiteSpace(s[i - 1])) i--;
                result.Add(s[i..j]);
                j = i;
            }
            result.Reverse();
            return result;
        }
        var d = Str(sep);
        var end = s.Length;
        while (result.Count < maxsplit)
        {
            var k = end - d.Length < 0 ? -1 : s.LastIndexOf(d, end - 1, end, StringComparison.Ordinal);
            if (k < 0 || k + d.Length > end) break;
            result.Add(s[(k + d.Length)..end]);
            end = k;
        }
        result.Add(s[..end]);
        result.Reverse();
        return result;
    }

    /// <summary>Python <c>str.splitlines()</c> (all of Python's line boundaries).</summary>
    public static List<string> SplitLines(string s, bool keepEnds = false)
    {
        var lines = new List<string>();
        var start = 0;
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            var isBreak = c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029';
            if (!isBreak) { i++; continue; }
            var eol = i + (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2 : 1);
            lines.Add(keepEnds ? s[start..eol] : s[start..i]);
            start = i = eol;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary>Python <c>str.format</c>: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, <c>{x!r}</c>, a few format specs.</summary>
    public static string Format(string s, CallArgs a)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '{' && i + 1 < s.Length && s[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            var close = s.IndexOf('}', i);
            if (close < 0) throw new TemplateRuntimeException("ValueError", "Single '{' encountered in format string");
            var field = s[(i + 1)..close];
            i = close;
            string? spec = null;
            var conv = '\0';
            var colon = field.IndexOf(':');
            if (colon >= 0) { spec = field[(colon + 1)..]; field = field[..colon]; }
            var bang = field.IndexOf('!');
            if (bang >= 0) { conv = field[bang + 1]; field = field[..bang]; }
            object? value = field.Length == 0 ? a.Get(auto++, "\0")
                : int.TryParse(field, out var n) ? a.Get(n, "\0")
                : a.Get(-1, field, Undefined.Name(field));
            var text = conv == 'r' ? PyOps.Repr(value) : FormatSpec(value, spec);
            sb.Append(text);
        }
        return sb.ToString();
    }

    private static string FormatSpec(object? value, string? spec)
    {
        if (string.IsNullOrEmpty(spec)) return PyOps.Str(value);
        if (spec.EndsWith('f') && PyOps.IsNumber(value))
        {
            var digits = int.Parse(spec.TrimStart('.')[..^1].Length == 0 ? "6" : spec[(spec.IndexOf('.') + 1)..^1], CultureInfo.InvariantCulture);
            return PyOps.ToDouble(value).ToString("F" + digits, CultureInfo.InvariantCulture);
        }
        if (spec == "d" && value is long l) return l.ToString(CultureInfo.InvariantCulture);
        return PyOps.Str(value);
    }

    /// <summary>Python printf-style <c>"%s %d" % args</c> (also the <c>format</c> filter).</summary>
    public static string PercentFormat(string fmt, object? args)
    {
        var values = args is PyTuple t ? t.Items : [args];
        var sb = new StringBuilder();
        var k = 0;
        for (var i = 0; i < fmt.Length; i++)
        {
            var c = fmt[i];
            if (c != '%') { sb.Append(c); continue; }
            if (i + 1 >= fmt.Length) throw new TemplateRuntimeException("ValueError", "incomplete format");
            var j = i + 1;
            while (j < fmt.Length && "-+ #0123456789.".Contains(fmt[j])) j++;
            var flags = fmt[(i + 1)..j];
            var conv = fmt[j];
            i = j;
            if (conv == '%') { sb.Append('%'); continue; }
            if (k >= values.Length) throw TemplateRuntimeException.Type("not enough arguments for format string");
            var v = values[k++];
            var text = conv switch
            {
                's' => PyOps.Str(v),
                'r' => PyOps.Repr(v),
                'd' or 'i' => ((long)PyOps.ToDouble(v)).ToString(CultureInfo.InvariantCulture),
                'f' => PyOps.ToDouble(v).ToString("F" + (flags.Contains('.') ? flags[(flags.IndexOf('.') + 1)..] : "6"), CultureInfo.InvariantCulture),
                _ => throw new TemplateRuntimeException("ValueError", $"unsupported format character '{conv}'"),
            };
            if (conv != 'f' && flags.Length > 0 && int.TryParse(flags.TrimStart('-'), out var width))
                text = flags.StartsWith('-') ? text.PadRight(width) : text.PadLeft(width);
            sb.Append(text);
        }
        // Python skips this check when the argument has __getitem__ (a mapping, a list, Undefined).
        if (k < values.Length && args is not (PyDict or List<object?> or Undefined))
            throw TemplateRuntimeException.Type("not all arguments converted during string formatting");
        return sb.ToString();
    }
}
