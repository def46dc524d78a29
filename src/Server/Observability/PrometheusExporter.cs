using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace SteerServer.Server.Observability;

/// <summary>
/// Aggregates the measurements of <see cref="ServerMetrics.Meter"/> with a <see cref="MeterListener"/> and renders
/// them in the Prometheus text exposition format (0.0.4). (prometheus-net and OpenTelemetry cannot be restored here.)
/// Counters are cumulative sums per tag set, histograms cumulative buckets, gauges read at scrape time.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ServerMetrics metrics;
    private readonly ConcurrentDictionary<Instrument, Series> series = new();

    public PrometheusExporter(ServerMetrics metrics)
    {
        this.metrics = metrics;
        // Only this app's meter: tests host several apps in one process, each with its own meter.
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                series[instrument] = new Series(instrument);
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
    }

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public string Render()
    {
        listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var s in series.Values.OrderBy(s => s.Instrument.Name, StringComparer.Ordinal))
            s.Render(sb);
        return sb.ToString();
    }

    public void Dispose() => listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (series.TryGetValue(instrument, out var s))
            s.Record(value, Labels(tags));
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var parts = new List<string>(tags.Length);
        foreach (var t in tags)
            parts.Add($"{t.Key}=\"{Escape(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")}\"");
        parts.Sort(StringComparer.Ordinal);
        return string.Join(',', parts);
    }

    private static string Escape(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Num(double v) => double.IsPositiveInfinity(v) ? "+Inf" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>One instrument's values per label set.</summary>
    private sealed class Series(Instrument instrument)
    {
        private readonly object gate = new();
        private readonly Dictionary<string, double> values = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (long[] Buckets, long Count, double Sum)> histograms = new(StringComparer.Ordinal);

        public Instrument Instrument { get; } = instrument;

        private bool IsHistogram => Instrument is Histogram<double> or Histogram<long>;
        private bool IsGauge => Instrument.GetType().Name.StartsWith("ObservableGauge", StringComparison.Ordinal);

        public void Record(double value, string labels)
        {
            lock (gate)
            {
                if (IsHistogram)
                {
                    if (!histograms.TryGetValue(labels, out var h))
                        h = (new long[ServerMetrics.LatencyBuckets.Length], 0, 0);
                    for (int b = 0; b < ServerMetrics.LatencyBuckets.Length; b++)
                        if (value <= ServerMetrics.LatencyBuckets[b]) h.Buckets[b]++;
                    histograms[labels] = (h.Buckets, h.Count + 1, h.Sum + value);
                }
                else if (IsGauge)
                    values[labels] = value;
                else
                    values[labels] = values.GetValueOrDefault(labels) + value;
            }
        }

        public void Render(StringBuilder sb)
        {
            var name = Instrument.Name;
            string type = IsHistogram ? "histogram" : IsGauge ? "gauge" : "counter";
            if (type == "counter") name += "_total";
            sb.Append("# HELP ").Append(name).Append(' ').Append(Instrument.Description ?? "").Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            lock (gate)
            {
                if (IsHistogram)
                {
                    foreach (var (labels, h) in histograms)
                    {
                        var sep = labels.Length > 0 ? "," : "";
                        for (int b = 0; b < h.Buckets.Length; b++)
                            sb.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"").Append(Num(ServerMetrics.LatencyBuckets[b])).Append("\"} ").Append(h.Buckets[b]).Append('\n');
                        sb.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"+Inf\"} ").Append(h.Count).Append('\n');
                        sb.Append(name).Append("_sum").Append(Braces(labels)).Append(' ').Append(Num(h.Sum)).Append('\n');
                        sb.Append(name).Append("_count").Append(Braces(labels)).Append(' ').Append(h.Count).Append('\n');
                    }
                }
                else
                {
                    if (values.Count == 0 && type == "counter")
                        sb.Append(name).Append(" 0\n"); // a counter that never fired still reads 0
                    foreach (var (labels, v) in values)
                        sb.Append(name).Append(Braces(labels)).Append(' ').Append(Num(v)).Append('\n');
                }
            }
        }

        private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";
    }
}
