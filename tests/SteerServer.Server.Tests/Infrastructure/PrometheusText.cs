using System.Globalization;
using System.Text.RegularExpressions;

namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>A parsed Prometheus text exposition (0.0.4): every sample with its labels; each line is checked against the format.</summary>
public sealed partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public PrometheusText(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                if (TypeLine().Match(line) is { Success: true } t) Types[t.Groups[1].Value] = t.Groups[2].Value;
                continue;
            }
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(m.Groups[2].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            Samples.Add(new Sample(m.Groups[1].Value, labels, m.Groups[3].Value == "+Inf" ? double.PositiveInfinity : double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)));
        }
    }

    public List<Sample> Samples { get; } = [];

    /// <summary>Metric family → counter, gauge, histogram...</summary>
    public Dictionary<string, string> Types { get; } = [];

    /// <summary>The sum over every sample of <paramref name="name"/> whose labels include <paramref name="labels"/> ("k=v" pairs).</summary>
    public double Value(string name, params string[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l[..l.IndexOf('=')], out var v) && v == l[(l.IndexOf('=') + 1)..])).Sum(s => s.Value);

    public bool Has(string name) => Samples.Any(s => s.Name == name);

    /// <summary>A histogram's buckets in order: (upper bound, cumulative count), +Inf last.</summary>
    public List<(double Le, double Count)> Buckets(string histogram) =>
        [.. Samples.Where(s => s.Name == histogram + "_bucket")
            .Select(s => (Le: s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture), Count: s.Value))
            .OrderBy(b => b.Le)];

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)( -?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();

    [GeneratedRegex(@"^# TYPE (\S+) (\S+)$")]
    private static partial Regex TypeLine();
}
