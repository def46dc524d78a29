using System.Diagnostics.Metrics;
using System.Globalization;

namespace SteerServer.Server.Observability;

/// <summary>
/// Every instrument of the server, on one <see cref="Meter"/> (System.Diagnostics.Metrics), in the manner of vLLM's
/// <c>vllm:*</c> series. OpenTelemetry exports them (<see cref="Telemetry"/>): on <c>/metrics</c> counters get
/// <c>_total</c>, histograms <c>_bucket</c>/<c>_sum</c>/<c>_count</c>. Bucket bounds travel with each histogram as
/// advice, so every exporter uses the same ones.
/// </summary>
public sealed class ServerMetrics
{
    public const string MeterName = "SteerServer";

    // Seconds. vLLM's bounds, with finer ones below 10 ms added: a CPU engine on a small model answers in milliseconds.
    private static readonly double[] FirstTokenBuckets = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
    private static readonly double[] InterTokenBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
    private static readonly double[] RequestBuckets = [0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];
    private static readonly double[] QueueBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];
    // Tokens: 1, 2, 5, 10, 20, 50, ... as vLLM's build_1_2_5_buckets, up to a million-token context.
    private static readonly long[] TokenBuckets = [.. Enumerable.Range(0, 7).SelectMany(e => new[] { 1L, 2, 5 }.Select(m => m * (long)Math.Pow(10, e)))];

    private readonly Counter<long> requests;
    private readonly Counter<long> finishes;
    private readonly Counter<long> cancellations;
    private readonly Counter<long> promptTokens;
    private readonly Counter<long> generationTokens;
    private readonly Counter<long> steered;
    private readonly Counter<long> rejected;
    private readonly Counter<long> decodeSteps;
    private readonly Counter<long> promptTokensComputed;
    private readonly Counter<long> preemptions;
    private readonly Histogram<double> timeToFirstToken;
    private readonly Histogram<double> interTokenLatency;
    private readonly Histogram<double> e2eLatency;
    private readonly Histogram<double> queueTime;
    private readonly Histogram<long> requestPromptTokens;
    private readonly Histogram<long> requestGenerationTokens;

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
        promptTokensComputed = Meter.CreateCounter<long>("steerserver_prompt_tokens_computed", "{token}",
            "Prompt tokens run through the model: prefill chunks, Influence passes and recomputation after preemption; a prompt shared by n choices counts once.");
        preemptions = Meter.CreateCounter<long>("steerserver_num_preemptions", description: "Sequences whose KV cache was dropped to stay within the KV budget (recomputed later).");
        timeToFirstToken = Histogram("steerserver_time_to_first_token_seconds", "From request arrival to the first generated token.", FirstTokenBuckets);
        interTokenLatency = Histogram("steerserver_inter_token_latency_seconds", "Time between two generated tokens of one sequence.", InterTokenBuckets);
        e2eLatency = Histogram("steerserver_e2e_request_latency_seconds", "End-to-end time of generation requests that completed.", RequestBuckets);
        queueTime = Histogram("steerserver_request_queue_time_seconds", "Time a request waited in the queue before the worker took it.", QueueBuckets);
        requestPromptTokens = Meter.CreateHistogram<long>("steerserver_request_prompt_tokens", "{token}", "Prompt tokens per completed request (all prompts of the request).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        requestGenerationTokens = Meter.CreateHistogram<long>("steerserver_request_generation_tokens", "{token}", "Generated tokens per completed request (all choices).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        // Series exist from the start at 0, so rate() and alerts work before the first event (OpenTelemetry exports only what was recorded).
        foreach (var counter in new[] { cancellations, promptTokens, generationTokens, steered, promptTokensComputed, preemptions }) counter.Add(0);
        foreach (var reason in new[] { "stop", "length", "cancelled", "error" }) Finish(reason, 0);
        Rejected("queue_full", 0);
        Meter.CreateObservableGauge("steerserver_num_requests_running", () => RunningSequences?.Invoke() ?? 0, description: "Sequences in the running batch.");
        Meter.CreateObservableGauge("steerserver_num_requests_waiting", () => QueueDepth?.Invoke() ?? 0, description: "Requests waiting in the queue for the worker.");
        Meter.CreateObservableGauge("steerserver_kv_cache_usage_perc", () => KvCacheUsage?.Invoke() ?? 0, description: "Fraction of the KV budget (SteerServer:Queue:MaxKvTokens) held by running sequences, 0 to 1.");
    }

    public Meter Meter { get; }

    /// <summary>Set by the queue and the worker: the gauges read these at collection time.</summary>
    public Func<int>? QueueDepth { get; set; }
    public Func<int>? RunningSequences { get; set; }
    public Func<double>? KvCacheUsage { get; set; }

    public void Request(string route, int status) =>
        requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", status.ToString(CultureInfo.InvariantCulture)));

    public void Finish(string reason, int count = 1) => finishes.Add(count, new KeyValuePair<string, object?>("reason", reason));
    public void Cancelled() => cancellations.Add(1);
    public void Rejected(string reason, int count = 1) => rejected.Add(count, new KeyValuePair<string, object?>("reason", reason));
    public void PromptTokens(int count) => promptTokens.Add(count);
    public void GenerationTokens(int count) => generationTokens.Add(count);
    public void Steered() => steered.Add(1);
    public void PromptTokensComputed(long count) => promptTokensComputed.Add(count);
    public void Preemptions(long count) => preemptions.Add(count);
    public void DecodeStep(int batchSize) => decodeSteps.Add(1, new KeyValuePair<string, object?>("batch_size", batchSize.ToString(CultureInfo.InvariantCulture)));
    public void TimeToFirstToken(TimeSpan t) => timeToFirstToken.Record(t.TotalSeconds);
    public void InterTokenLatency(TimeSpan t) => interTokenLatency.Record(t.TotalSeconds);
    public void RequestDuration(TimeSpan t) => e2eLatency.Record(t.TotalSeconds);
    public void QueueTime(TimeSpan t) => queueTime.Record(t.TotalSeconds);

    public void RequestTokens(int prompt, int generated)
    {
        requestPromptTokens.Record(prompt);
        requestGenerationTokens.Record(generated);
    }

    private Histogram<double> Histogram(string name, string description, double[] buckets) =>
        Meter.CreateHistogram<double>(name, "s", description, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
}
