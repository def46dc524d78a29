using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Templates.Values;

namespace SteerServer.Models.Templates;

/// <summary>
/// Turns caller data (JsonNode, JsonElement, dictionaries, lists, CLR primitives) into template values the way
/// <c>json.loads</c> would: objects keep key order, integers without '.'/exponent become int, others float.
/// </summary>
internal static class ValueConverter
{
    public static object? FromExternal(object? v) => v switch
    {
        null => null,
        string s => s,
        bool b => b,
        int i => (long)i,
        long l => l,
        short s => (long)s,
        byte b => (long)b,
        uint u => (long)u,
        ulong u => (long)u,
        float f => (double)f,
        double d => d,
        decimal m => (double)m,
        JsonNode node => FromNode(node),
        JsonElement e => FromElement(e),
        PyDict or List<object?> or PyTuple or Markup => v,
        IDictionary<string, object?> d => FromDictionary(d),
        IReadOnlyDictionary<string, object?> d => FromDictionary(d),
        IDictionary d => FromLegacyDictionary(d),
        IEnumerable e => e.Cast<object?>().Select(FromExternal).ToList(),
        _ => FromObject(v),
    };

    // Other objects (request DTOs): through their JSON form, as a Python caller would pass dicts.
    private static object? FromObject(object v)
    {
        try
        {
            return FromElement(JsonSerializer.SerializeToElement(v, v.GetType()));
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException)
        {
            throw SteerServer.Models.Errors.SteerException.InvalidRequest($"chat template: cannot pass a value of type {v.GetType().Name} to the template ({e.Message})");
        }
    }

    private static PyDict FromDictionary(IEnumerable<KeyValuePair<string, object?>> d)
    {
        var r = new PyDict();
        foreach (var kv in d) r[kv.Key] = FromExternal(kv.Value);
        return r;
    }

    private static PyDict FromLegacyDictionary(IDictionary d)
    {
        var r = new PyDict();
        foreach (DictionaryEntry kv in d) r[kv.Key.ToString()!] = FromExternal(kv.Value);
        return r;
    }

    private static object? FromNode(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject o:
                var d = new PyDict(o.Count);
                foreach (var kv in o) d[kv.Key] = FromNode(kv.Value);
                return d;
            case JsonArray a:
                var list = new List<object?>(a.Count);
                foreach (var item in a) list.Add(FromNode(item));
                return list;
            case JsonValue v:
                if (v.TryGetValue<JsonElement>(out var el)) return FromElement(el);
                if (v.TryGetValue<string>(out var s)) return s;
                if (v.TryGetValue<bool>(out var b)) return b;
                if (v.TryGetValue<long>(out var l)) return l;
                if (v.TryGetValue<int>(out var i)) return (long)i;
                if (v.TryGetValue<double>(out var dbl)) return dbl;
                if (v.TryGetValue<decimal>(out var m)) return (double)m;
                return FromElement(JsonSerializer.SerializeToElement(v));
            default:
                return null;
        }
    }

    private static object? FromElement(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var d = new PyDict();
                foreach (var p in e.EnumerateObject()) d[p.Name] = FromElement(p.Value);
                return d;
            case JsonValueKind.Array:
                var list = new List<object?>(e.GetArrayLength());
                foreach (var item in e.EnumerateArray()) list.Add(FromElement(item));
                return list;
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                var raw = e.GetRawText();
                if (raw.AsSpan().IndexOfAny(".eE") < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                    return l;
                return e.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    /// <summary>
    /// Converts the messages list and, when tracking, replaces each string content (and each text part of a list
    /// content) with a tracked copy so its position in the output can be reported.
    /// </summary>
    public static object? Messages(object? messages, ProvenanceTracker? tracker)
    {
        var value = FromExternal(messages);
        if (tracker == null || value is not List<object?> list)
            return value;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not PyDict m || !m.TryGetValue("content", out var content))
                continue;
            if (content is string s)
                m["content"] = tracker.Track(s, i, -1);
            else if (content is List<object?> parts)
                for (var j = 0; j < parts.Count; j++)
                    if (parts[j] is PyDict p && p.TryGetValue("text", out var t) && t is string text)
                        p["text"] = tracker.Track(text, i, j);
        }
        return value;
    }
}
