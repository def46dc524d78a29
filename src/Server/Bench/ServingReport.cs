using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SteerServer.Server.Bench;

/// <summary>
/// The figures of one serving run. Times in seconds. Aggregate throughput counts the main requests' completion
/// tokens over the time from the first request sent to the last main request finished. Latencies and the largest
/// gap are over the main requests' streams; the long prompt and the Influence requests are reported on their own.
/// </summary>
public sealed record ServingReport(
    ServingWorkload Workload,
    string Model,
    int Succeeded,
    int Failed,
    string? FirstError,
    int CompletionTokens,
    double WallSeconds,
    double TokensPerSecond,
    double TtftP50,
    double TtftP99,
    double ItlP50,
    double ItlP99,
    double LargestGap,
    double? ExtrasSentAt,
    double? LargestGapAfterExtras,
    double? LongPromptTtft,
    string? LongPromptError,
    int InfluenceSucceeded,
    double? InfluenceLatencyP50,
    double? InfluenceLatencyMax,
    string? InfluenceError,
    string? MemorySource,
    long? MemoryBefore,
    long? MemoryPeak,
    long? MemoryAfter)
{
    public static ServingReport From(ServingWorkload w, string model, IReadOnlyList<StreamRecord> records, double wall, double? extrasAt,
        StreamRecord? longPrompt, IReadOnlyList<StreamRecord> influence, string? memorySource, long? before, long? peak, long? after)
    {
        var ok = records.Where(r => r.Error is null).ToList();
        var ttft = ok.Where(r => r.TimeToFirstToken is not null).Select(r => r.TimeToFirstToken!.Value).ToList();
        var gaps = ok.SelectMany(r => r.Gaps()).ToList();
        // Gaps that end after the extras were sent: what the running streams paid for the long prompt / Influence.
        double? gapAfter = extrasAt is { } at
            ? ok.SelectMany(r => Enumerable.Range(1, Math.Max(0, r.ChunkTimes.Count - 1))
                .Where(i => r.ChunkTimes[i] > at).Select(i => r.ChunkTimes[i] - r.ChunkTimes[i - 1])).DefaultIfEmpty(0).Max()
            : null;
        int tokens = ok.Sum(r => r.CompletionTokens);
        var infOk = influence.Where(r => r.Error is null).ToList();
        return new ServingReport(w, model, ok.Count, records.Count - ok.Count, records.FirstOrDefault(r => r.Error is not null)?.Error,
            tokens, wall, wall > 0 ? tokens / wall : 0,
            Percentile(ttft, 50), Percentile(ttft, 99), Percentile(gaps, 50), Percentile(gaps, 99), gaps.DefaultIfEmpty(0).Max(),
            extrasAt, gapAfter,
            longPrompt?.TimeToFirstToken, longPrompt?.Error,
            infOk.Count,
            influence.Count > 0 ? Percentile([.. infOk.Select(r => r.EndedAt - r.SentAt)], 50) : null,
            influence.Count > 0 ? infOk.Select(r => r.EndedAt - r.SentAt).DefaultIfEmpty(0).Max() : null,
            influence.FirstOrDefault(r => r.Error is not null)?.Error,
            memorySource, before, peak, after);
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default); 0 for no values.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return 0;
        var v = values.Order().ToArray();
        double rank = p / 100 * (v.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return v[lo] + (v[hi] - v[lo]) * (rank - lo);
    }

    public long? MemoryGrowth => MemoryPeak is { } p && MemoryBefore is { } b ? p - b : null;

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["url"] = Workload.BaseUrl.ToString(),
            ["model"] = Model,
            ["requests"] = Workload.Requests,
            ["concurrency"] = Workload.Concurrency,
            ["prompt_tokens"] = Workload.PromptTokens,
            ["gen_tokens"] = Workload.GenTokens,
            ["succeeded"] = Succeeded,
            ["failed"] = Failed,
            ["completion_tokens"] = CompletionTokens,
            ["wall_s"] = R(WallSeconds),
            ["tok_s"] = R(TokensPerSecond),
            ["ttft_p50_s"] = R(TtftP50),
            ["ttft_p99_s"] = R(TtftP99),
            ["itl_p50_s"] = R(ItlP50),
            ["itl_p99_s"] = R(ItlP99),
            ["largest_gap_s"] = R(LargestGap),
        };
        if (FirstError is not null) o["first_error"] = FirstError;
        if (ExtrasSentAt is { } at)
        {
            o["extras_sent_at_s"] = R(at);
            o["largest_gap_after_extras_s"] = R(LargestGapAfterExtras ?? 0);
        }
        if (Workload.LongPromptTokens > 0)
        {
            o["long_prompt_tokens"] = Workload.LongPromptTokens;
            o["long_prompt_ttft_s"] = LongPromptTtft is { } t ? R(t) : null;
            if (LongPromptError is not null) o["long_prompt_error"] = LongPromptError;
        }
        if (Workload.InfluenceRequests > 0)
        {
            o["influence_requests"] = Workload.InfluenceRequests;
            o["influence_words"] = Workload.InfluenceWords;
            o["influence_succeeded"] = InfluenceSucceeded;
            o["influence_latency_p50_s"] = InfluenceLatencyP50 is { } p ? R(p) : null;
            o["influence_latency_max_s"] = InfluenceLatencyMax is { } m ? R(m) : null;
            if (InfluenceError is not null) o["influence_error"] = InfluenceError;
        }
        o["memory_source"] = MemorySource;
        o["memory_before_mb"] = Mb(MemoryBefore);
        o["memory_peak_mb"] = Mb(MemoryPeak);
        o["memory_after_mb"] = Mb(MemoryAfter);
        o["memory_growth_mb"] = Mb(MemoryGrowth);
        return o;
    }

    public string ToText()
    {
        var s = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        s.AppendLine(ci, $"server      {Workload.BaseUrl} model {Model}");
        s.AppendLine(ci, $"workload    {Workload.Requests} requests x {Workload.PromptTokens} prompt tokens x {Workload.GenTokens} generated, concurrency {Workload.Concurrency}");
        s.AppendLine(ci, $"requests    {Succeeded} ok, {Failed} failed{(FirstError is null ? "" : $" (first: {FirstError})")}");
        s.AppendLine(ci, $"throughput  {TokensPerSecond:F1} tok/s aggregate ({CompletionTokens} tokens in {WallSeconds:F1} s)");
        s.AppendLine(ci, $"TTFT        p50 {TtftP50:F3} s  p99 {TtftP99:F3} s");
        s.AppendLine(ci, $"ITL         p50 {ItlP50 * 1000:F1} ms  p99 {ItlP99 * 1000:F1} ms");
        s.AppendLine(ci, $"largest gap {LargestGap:F3} s{(LargestGapAfterExtras is { } g ? $" (after the extras arrived at {ExtrasSentAt:F1} s: {g:F3} s)" : "")}");
        if (Workload.LongPromptTokens > 0)
            s.AppendLine(ci, $"long prompt {Workload.LongPromptTokens} tokens: TTFT {(LongPromptTtft is { } t ? $"{t:F3} s" : "-")}{(LongPromptError is null ? "" : $" error: {LongPromptError}")}");
        if (Workload.InfluenceRequests > 0)
            s.AppendLine(ci, $"influence   {InfluenceSucceeded}/{Workload.InfluenceRequests} ok, latency p50 {InfluenceLatencyP50:F3} s max {InfluenceLatencyMax:F3} s{(InfluenceError is null ? "" : $" (error: {InfluenceError})")}");
        s.Append(ci, $"memory      ");
        s.AppendLine(MemorySource is null ? "unavailable (give --server-pid PID for a local server)"
            : string.Create(ci, $"{Mb(MemoryBefore)} MB before, {Mb(MemoryPeak)} MB peak, {Mb(MemoryAfter)} MB after, growth {Mb(MemoryGrowth)} MB ({MemorySource})"));
        return s.ToString();
    }

    private static double R(double v) => Math.Round(v, 4);

    private static double? Mb(long? bytes) => bytes is { } b ? Math.Round(b / 1048576.0, 1) : null;
}
