using SteerServer.Models.Templates.Values;

namespace SteerServer.Models.Templates;

/// <summary>
/// Attribute and item access with Jinja's rules under the immutable sandbox: <c>obj.name</c> tries the Python
/// attribute (a method such as <c>dict.items</c>) before the item; <c>obj[key]</c> tries the item first. A missing
/// member is an <see cref="Undefined"/>; any access on an Undefined raises. Mutating methods are refused.
/// </summary>
internal static class Access
{
    public static object? GetAttr(object? obj, string name)
    {
        switch (obj)
        {
            case Undefined u:
                throw u.Error();
            case PyDict d:
                if (StringMethods.TryBindDict(d, name, out var dm)) return dm;
                return d.TryGetValue(name, out var v) ? v : Undefined.Member(obj, name);
            case string or Markup:
                return StringMethods.TryBindString(obj, name, out var sm) ? sm : Undefined.Member(obj, name);
            case List<object?> l:
                return StringMethods.TryBindList(l, name, out var lm) ? lm : Undefined.Member(obj, name);
            case Namespace ns:
                return ns.Attributes.TryGetValue(name, out var nv) ? nv : Undefined.Member(obj, name);
            case LoopContext loop:
                return loop.GetAttribute(name);
            default:
                return Undefined.Member(obj, name);
        }
    }

    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case Undefined u:
                throw u.Error();
            case PyDict d:
                if (key != null && d.TryGetValue(key, out var v)) return v;
                break;
            case List<object?> l when key is long or bool:
                return Index(l, key, obj);
            case PyTuple t when key is long or bool:
                return Index(t.Items, key, obj);
            case string or Markup when key is long or bool:
            {
                var chars = PyOps.Chars(PyOps.AsString(obj)!);
                return Index(chars, key, obj);
            }
            case Namespace ns:
                if (key != null && ns.Attributes.TryGetValue(key, out var nv)) return nv;
                break;
            case LoopContext loop when key is string ls:
                return loop.GetAttribute(ls);
        }
        if (key is string name && obj is not PyDict and not Namespace)
            return GetAttr(obj, name);
        if (key is string dname && obj is PyDict dict && StringMethods.TryBindDict(dict, dname, out var m))
            return m;
        return Undefined.Member(obj, key);
    }

    private static object? Index(IList<object?> items, object? key, object? obj)
    {
        var i = key is bool b ? (b ? 1 : 0) : (long)key!;
        if (i < 0) i += items.Count;
        return i >= 0 && i < items.Count ? items[(int)i] : Undefined.Member(obj, key);
    }

    /// <summary>Python slicing <c>obj[start:stop:step]</c> of a list, tuple or string.</summary>
    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        if (obj is Undefined u) throw u.Error();
        var stepValue = step is null ? 1 : ToIndex(step);
        if (stepValue == 0) throw new TemplateRuntimeException("ValueError", "slice step cannot be zero");
        IReadOnlyList<object?> items = obj switch
        {
            List<object?> l => l,
            PyTuple t => t.Items,
            string or Markup => PyOps.Chars(PyOps.AsString(obj)!),
            _ => throw TemplateRuntimeException.Type($"'{PyOps.TypeName(obj)}' object is not subscriptable"),
        };
        var n = items.Count;
        var picked = new List<object?>();
        if (stepValue > 0)
        {
            var a = Clamp(start is null ? 0 : ToIndex(start), n, 0, n);
            var b = Clamp(stop is null ? n : ToIndex(stop), n, 0, n);
            for (var i = a; i < b; i += stepValue) picked.Add(items[i]);
        }
        else
        {
            var a = Clamp(start is null ? n - 1 : ToIndex(start), n, -1, n - 1);
            var b = stop is null ? -1 : Clamp(ToIndex(stop), n, -1, n - 1);
            for (var i = a; i > b; i += stepValue) picked.Add(items[i]);
        }
        return obj switch
        {
            string or Markup => string.Concat(picked.Select(x => (string)x!)),
            PyTuple => new PyTuple([.. picked]),
            _ => picked,
        };
    }

    private static int ToIndex(object? v) => v switch
    {
        long l => (int)l,
        bool b => b ? 1 : 0,
        _ => throw TemplateRuntimeException.Type("slice indices must be integers or None"),
    };

    private static int Clamp(int i, int n, int lo, int hi)
    {
        if (i < 0) i += n;
        return Math.Min(Math.Max(i, lo), hi);
    }
}
