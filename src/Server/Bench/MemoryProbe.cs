using System.Globalization;

namespace SteerServer.Server.Bench;

/// <summary>
/// The server's resident memory, sampled while the benchmark runs: from <c>/proc/PID/status</c> (VmRSS) when a pid is
/// given (any local server), else from its Prometheus <c>/metrics</c> (the first process-memory series found).
/// </summary>
public sealed class MemoryProbe(HttpClient http, int? pid)
{
    // Prometheus client convention, prometheus-net, OpenTelemetry's process instrumentation.
    private static readonly string[] MetricNames = ["process_resident_memory_bytes", "process_working_set_bytes", "process_memory_usage_bytes"];

    /// <summary>Where the figures come from, e.g. <c>/proc/123/status VmRSS</c>; null until a read succeeds.</summary>
    public string? Source { get; private set; }

    public async Task<long?> ReadAsync(CancellationToken ct)
    {
        try
        {
            if (pid is { } p)
            {
                foreach (var line in await File.ReadAllLinesAsync($"/proc/{p}/status", ct))
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        Source = $"/proc/{p}/status VmRSS";
                        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                    }
                return null;
            }
            var text = await http.GetStringAsync("metrics", ct);
            foreach (var name in MetricNames)
                foreach (var line in text.Split('\n'))
                    if (line.StartsWith(name + " ", StringComparison.Ordinal) || line.StartsWith(name + "{", StringComparison.Ordinal))
                    {
                        Source = $"/metrics {name}";
                        return (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                    }
            return null;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
