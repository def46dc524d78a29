using System.Globalization;
using System.Text;

namespace SteerServer.Models.Templates.Values;

/// <summary>
/// Python's <c>json.dumps</c> as transformers' <c>tojson</c> filter calls it: default separators <c>", "</c> and
/// <c>": "</c> (<c>","</c> when indenting), <c>ensure_ascii</c> off by default, keys in insertion order unless
/// <c>sort_keys</c>, floats printed with Python's repr.
/// </summary>
internal sealed class JsonDumps
{
    private readonly bool ensureAscii;
    private readonly string? indent;
    private readonly string itemSeparator;
    private readonly string keySeparator;
    private readonly bool sortKeys;
    private readonly StringBuilder sb = new();

    private JsonDumps(bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    public static string Dumps(object? value, bool ensureAscii = false, object? indent = null, object? separators = null, bool sortKeys = false)
    {
        string? indentText = indent switch
        {
            null => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            bool b => b ? " " : "",
            string s => s,
            _ => throw TemplateRuntimeException.Type("indent must be an int or a string"),
        };
        string itemSep = indentText == null ? ", " : ",", keySep = ": ";
        if (separators != null)
        {
            var parts = PyOps.Iterate(separators);
            if (parts.Count != 2) throw new TemplateRuntimeException("ValueError", "separators must be a (item_separator, key_separator) pair");
            itemSep = PyOps.AsString(parts[0]) ?? throw TemplateRuntimeException.Type("separator must be str");
            keySep = PyOps.AsString(parts[1]) ?? throw TemplateRuntimeException.Type("separator must be str");
        }
        var d = new JsonDumps(ensureAscii, indentText, itemSep, keySep, sortKeys);
        d.Write(value, 0);
        return d.sb.ToString();
    }

    private void NewLine(int level)
    {
        if (indent == null) return;
        sb.Append('\n');
        for (var i = 0; i < level; i++) sb.Append(indent);
    }

    private void Write(object? v, int level)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyOps.FloatRepr(d));
                break;
            case string s: WriteString(s); break;
            case Markup m: WriteString(m.Value); break;
            case List<object?> list: WriteArray(list, level); break;
            case PyTuple t: WriteArray(t.Items, level); break;
            case PyGenerator g: throw TemplateRuntimeException.Type($"Object of type {g.TypeName} is not JSON serializable");
            case PyDict dict: WriteObject(dict, level); break;
            default:
                throw TemplateRuntimeException.Type($"Object of type {PyOps.TypeName(v)} is not JSON serializable");
        }
    }

    private void WriteArray(IReadOnlyList<object?> items, int level)
    {
        if (items.Count == 0) { sb.Append("[]"); return; }
        sb.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(itemSeparator);
            NewLine(level + 1);
            Write(items[i], level + 1);
        }
        NewLine(level);
        sb.Append(']');
    }

    private void WriteObject(PyDict dict, int level)
    {
        if (dict.Count == 0) { sb.Append("{}"); return; }
        IEnumerable<KeyValuePair<object, object?>> pairs = dict;
        if (sortKeys)
            pairs = dict.OrderBy(kv => kv.Key, Comparer<object>.Create((a, b) => PyOps.Compare(a, b))).ToList();
        sb.Append('{');
        var first = true;
        foreach (var kv in pairs)
        {
            if (!first) sb.Append(itemSeparator);
            first = false;
            NewLine(level + 1);
            var key = kv.Key switch
            {
                string s => s,
                Markup m => m.Value,
                bool b => b ? "true" : "false",
                long l => l.ToString(CultureInfo.InvariantCulture),
                double d => PyOps.FloatRepr(d),
                _ => throw TemplateRuntimeException.Type($"keys must be str, int, float, bool or None, not {PyOps.TypeName(kv.Key)}"),
            };
            WriteString(key);
            sb.Append(keySeparator);
            Write(kv.Value, level + 1);
        }
        NewLine(level);
        sb.Append('}');
    }

    private void WriteString(string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7e))
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
