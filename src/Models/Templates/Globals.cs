using System.Globalization;
using System.Text;
using SteerServer.Models.Templates.Values;

namespace SteerServer.Models.Templates;

/// <summary>
/// Jinja's global functions (<c>range</c>, <c>namespace</c>, <c>dict</c>, <c>cycler</c>, <c>joiner</c>) and the two
/// transformers adds: <c>raise_exception(msg)</c> and <c>strftime_now(fmt)</c> (which reads the render's clock).
/// </summary>
internal static class Globals
{
    public static readonly Frame Frame = Build();

    private static Frame Build()
    {
        var f = new Frame(null);
        f.Set("range", new BuiltinFunction("range", (_, a) => Range(a)));
        f.Set("namespace", new BuiltinFunction("namespace", (_, a) =>
        {
            var ns = new Namespace();
            foreach (var p in a.Positional)
                if (p is PyDict d)
                    foreach (var kv in d) ns.Attributes[kv.Key] = kv.Value;
            foreach (var kv in a.Named) ns.Attributes[kv.Key] = kv.Value;
            return ns;
        }));
        f.Set("dict", new BuiltinFunction("dict", (_, a) =>
        {
            var d = new PyDict();
            foreach (var p in a.Positional)
                if (p is PyDict src)
                    foreach (var kv in src) d[kv.Key] = kv.Value;
            foreach (var kv in a.Named) d[kv.Key] = kv.Value;
            return d;
        }));
        f.Set("raise_exception", new BuiltinFunction("raise_exception", (_, a) =>
            throw new TemplateRuntimeException("TemplateError", PyOps.Str(a.Get(0, "message")))));
        f.Set("strftime_now", new BuiltinFunction("strftime_now", (it, a) =>
            Strftime(it.Clock.GetLocalNow().DateTime, PyOps.Str(a.Get(0, "format")))));
        f.Set("joiner", new BuiltinFunction("joiner", (_, a) =>
        {
            var sep = a.Get(0, "sep", ", ");
            var used = false;
            return new BuiltinFunction("joiner", (_, _) =>
            {
                if (!used) { used = true; return ""; }
                return sep;
            });
        }));
        f.Set("cycler", new BuiltinFunction("cycler", (_, a) => Cycler(a.Positional)));
        return f;
    }

    private static List<object?> Range(CallArgs a)
    {
        long start = 0, stop, step = 1;
        static long L(object? v) => v is long l ? l : v is bool b ? (b ? 1 : 0)
            : throw TemplateRuntimeException.Type($"'{PyOps.TypeName(v)}' object cannot be interpreted as an integer");
        switch (a.Count)
        {
            case 1: stop = L(a.Positional[0]); break;
            case 2: start = L(a.Positional[0]); stop = L(a.Positional[1]); break;
            case 3: start = L(a.Positional[0]); stop = L(a.Positional[1]); step = L(a.Positional[2]); break;
            default: throw TemplateRuntimeException.Type($"range expected 1 to 3 arguments, got {a.Count}");
        }
        if (step == 0) throw new TemplateRuntimeException("ValueError", "range() arg 3 must not be zero");
        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            result.Add(i);
            if (result.Count > 100_000) throw new TemplateRuntimeException("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        }
        return result;
    }

    private static Namespace Cycler(List<object?> items)
    {
        var ns = new Namespace();
        var pos = 0;
        ns.Attributes["next"] = new BuiltinFunction("next", (_, _) => items[pos++ % items.Count]);
        ns.Attributes["reset"] = new BuiltinFunction("reset", (_, _) => { pos = 0; return null; });
        return ns;
    }

    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// <summary>Python/C <c>strftime</c> in the C locale; <c>%-d</c> style (no padding) as glibc accepts it.</summary>
    public static string Strftime(DateTime t, string fmt)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length) { sb.Append(fmt[i]); continue; }
            var c = fmt[++i];
            var noPad = false;
            if (c == '-' && i + 1 < fmt.Length) { noPad = true; c = fmt[++i]; }
            string Num(int v, int width) => noPad ? v.ToString(CultureInfo.InvariantCulture) : v.ToString(new string('0', width), CultureInfo.InvariantCulture);
            var hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
            sb.Append(c switch
            {
                'Y' => t.Year.ToString(CultureInfo.InvariantCulture),
                'y' => Num(t.Year % 100, 2),
                'm' => Num(t.Month, 2),
                'd' => Num(t.Day, 2),
                'e' => t.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2),
                'H' => Num(t.Hour, 2),
                'I' => Num(hour12, 2),
                'M' => Num(t.Minute, 2),
                'S' => Num(t.Second, 2),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'b' or 'h' => Months[t.Month - 1][..3],
                'B' => Months[t.Month - 1],
                'a' => Days[(int)t.DayOfWeek][..3],
                'A' => Days[(int)t.DayOfWeek],
                'j' => Num(t.DayOfYear, 3),
                'w' => ((int)t.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                'u' => (t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                'F' => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                'T' => t.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                'D' => t.ToString("MM/dd/yy", CultureInfo.InvariantCulture),
                'Z' => "",
                'z' => "",
                '%' => "%",
                _ => "%" + (noPad ? "-" : "") + c,
            });
        }
        return sb.ToString();
    }
}
