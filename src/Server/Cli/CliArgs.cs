using System.Globalization;
using SteerServer.Models.Errors;
using SteerServer.Models.Kernels;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>--name value</c> and <c>--flag</c> arguments of one command. Unknown names are an error
/// (see <see cref="ThrowOnUnused"/>), so a typo never silently falls back to a default.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> used = new(StringComparer.Ordinal);

    public CliArgs(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
                throw SteerException.InvalidRequest($"unexpected argument '{a}'", a);
            var eq = a.IndexOf('=');
            if (eq > 0) { values[a[2..eq]] = a[(eq + 1)..]; continue; }
            var name = a[2..];
            bool hasValue = i + 1 < list.Count && !(list[i + 1].StartsWith("--", StringComparison.Ordinal) && list[i + 1].Length > 2);
            values[name] = hasValue ? list[++i] : null;
        }
    }

    public bool Has(string name) { used.Add(name); return values.ContainsKey(name); }

    public bool Flag(string name) => Has(name);

    public string? String(string name)
    {
        used.Add(name);
        if (!values.TryGetValue(name, out var v)) return null;
        return v ?? throw SteerException.InvalidRequest($"--{name} needs a value", name);
    }

    public string Required(string name) => String(name) ?? throw SteerException.InvalidRequest($"--{name} is required", name);

    public int Int(string name, int fallback) => String(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw SteerException.InvalidRequest($"--{name} must be an integer, got '{s}'", name)
        : fallback;

    public double Double(string name, double fallback) => String(name) is { } s
        ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw SteerException.InvalidRequest($"--{name} must be a number, got '{s}'", name)
        : fallback;

    /// <summary>The arguments not consumed by the command, for commands that forward them (e.g. to ASP.NET Core).</summary>
    /// <summary>A <c>--dtype</c> value: f32, bf16, f16, q8_0 or q4 (or float32, bfloat16, float16).</summary>
    public static DType ParseDType(string text) => DTypeNames.TryParse(text, out var dtype) ? dtype
        : throw SteerException.InvalidRequest($"--dtype must be f32, bf16, f16, q8_0 or q4, got '{text}'", "dtype");

    public IEnumerable<string> Unused() => values.Keys.Where(k => !used.Contains(k));

    public void ThrowOnUnused()
    {
        foreach (var k in Unused())
            throw SteerException.InvalidRequest($"unknown option --{k}", k);
    }
}
