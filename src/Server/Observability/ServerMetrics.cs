using System.Diagnostics.Metrics;

namespace SteerServer.Server.Observability;

/// <summary>
/// Every instrument of the server, on one <see cref="Meter"/> (System.Diagnostics.Metrics). Names are already in
/// Prometheus form; <see cref="PrometheusExporter"/> adds <c>_total</c> to counters and renders <c>/metrics</c>.
/// </summary>
public sealed class ServerMetrics
{
    public const string MeterName = "SteerServer";

    // Seconds; TTFT and per-token latency on a CPU engine range from milliseconds to minutes.
    internal static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly Counter<long> requests;
    private readonly Counter<long> finishes;
    private readonly Counter<long> cancellations;
    private readonly Counter<long> promptTokens;
    private readonly Counter<long> generationTokens;
    private readonly Counter<long> steered;
    private readonly Counter<long> rejected;
    private readonly Counter<long> decodeSteps;
    private readonly Histogram<double> timeToFirstToken;
    private readonly Histogram<double> timePerOutputToken;
    private readonly Histogram<double> requestDuration;
    private readonly Histogram<double> queueTime;

    public ServerMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(MeterName);
        requests = Meter.CreateCounter<long>("steerserver_requests", description: "HTTP requests by route and status code.");
        finishes = Meter.CreateCounter<long>("steerserver_request_finish", description: "Finished choices by finish reason (stop, length) or outcome (cancelled, error).");
        cancellations = Meter.CreateCounter<long>("steerserver_cancelled_requests", description: "Requests cancelled because the client disconnected or timed out, queued or running.");
        promptTokens = Meter.CreateCounter<long>("steerserver_prompt_tokens", description: "Prompt tokens of completed requests.");
        generationTokens = Meter.CreateCounter<long>("steerserver_generation_tokens", description: "Tokens generated, by every sequence however it ended (cancelled ones included).");
        steered = Meter.CreateCounter<long>("steerserver_steered_requests", description: "Requests that applied attention steering.");
        rejected = Meter.CreateCounter<long>("steerserver_rejected_requests", description: "Requests refused by admission control (queue full, loading, draining).");
        decodeSteps = Meter.CreateCounter<long>("steerserver_decode_steps", description: "Batched decode steps by the number of sequences decoded together.");
        timeToFirstToken = Meter.CreateHistogram<double>("steerserver_time_to_first_token_seconds", "s", "From request arrival to the first generated token.");
        timePerOutputToken = Meter.CreateHistogram<double>("steerserver_time_per_output_token_seconds", "s", "Mean time between generated tokens of one request, after the first.");
        requestDuration = Meter.CreateHistogram<double>("steerserver_request_duration_seconds", "s", "End-to-end time of generation requests.");
        queueTime = Meter.CreateHistogram<double>("steerserver_queue_time_seconds", "s", "Time a request waited before its prefill started.");
        Meter.CreateObservableGauge("steerserver_queue_depth", () => QueueDepth?.Invoke() ?? 0, description: "Requests waiting for a batch slot.");
        Meter.CreateObservableGauge("steerserver_running_sequences", () => RunningSequences?.Invoke() ?? 0, description: "Sequences in the running batch.");
    }

    public Meter Meter { get; }

    /// <summary>Set by the worker: the gauges read these at scrape time.</summary>
    public Func<int>? QueueDepth { get; set; }
    public Func<int>? RunningSequences { get; set; }

    public void Request(string route, int status) =>
        requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public void Finish(string reason) => finishes.Add(1, new KeyValuePair<string, object?>("reason", reason));
    public void Cancelled() => cancellations.Add(1);
    public void Rejected(string reason) => rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
    public void PromptTokens(int count) => promptTokens.Add(count);
    public void GenerationTokens(int count) => generationTokens.Add(count);
    public void Steered() => steered.Add(1);
    public void DecodeStep(int batchSize) => decodeSteps.Add(1, new KeyValuePair<string, object?>("batch_size", batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    public void TimeToFirstToken(TimeSpan t) => timeToFirstToken.Record(t.TotalSeconds);
    public void TimePerOutputToken(TimeSpan t) => timePerOutputToken.Record(t.TotalSeconds);
    public void RequestDuration(TimeSpan t) => requestDuration.Record(t.TotalSeconds);
    public void QueueTime(TimeSpan t) => queueTime.Record(t.TotalSeconds);
}
