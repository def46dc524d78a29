using System.Diagnostics;
using SteerServer.Models.Generation;
using SteerServer.Models.Inference;

namespace SteerServer.Server.Cli;

/// <summary>
/// One benchmark configuration on a loaded backend: <c>batch</c> sequences each prefill the same-length random
/// prompt (one <see cref="IModelBackend.Forward"/> per sequence), then decode <c>genTokens</c> greedy steps together
/// (<see cref="IModelBackend.DecodeBatch"/>). Caches and buffers are made once and reset between runs.
/// </summary>
internal sealed class BenchRun
{
    private readonly IModelBackend backend;
    private readonly int promptTokens, genTokens, batch, vocab;
    private readonly KvCache[] caches;
    private readonly int[][] prompts;
    private readonly int[] next;
    private readonly float[] logits;
    private readonly AttentionOffsets?[] offsets;

    public BenchRun(IModelBackend backend, int promptTokens, int genTokens, int batch, int seed)
    {
        this.backend = backend;
        this.promptTokens = promptTokens;
        this.genTokens = genTokens;
        this.batch = batch;
        vocab = backend.Config.VocabSize;
        caches = new KvCache[batch];
        prompts = new int[batch][];
        var rng = new Random(seed + 1);
        for (int b = 0; b < batch; b++)
        {
            caches[b] = backend.CreateCache(promptTokens + genTokens + 1);
            prompts[b] = new int[promptTokens];
            for (int t = 0; t < promptTokens; t++) prompts[b][t] = rng.Next(vocab);
        }
        next = new int[batch];
        logits = new float[batch * vocab];
        offsets = new AttentionOffsets?[batch];
    }

    /// <param name="steering">Offsets applied to every sequence, or null.</param>
    /// <param name="profile">Records the decode steps' forward stages (and the bench's greedy pick as sampling) when given.</param>
    public BenchResult Measure(AttentionOffsets? steering, ForwardProfile? profile = null)
    {
        double prefillCpuMs;
        for (int b = 0; b < batch; b++) { caches[b].Truncate(0); offsets[b] = steering; }

        var process0 = Process.GetCurrentProcess();
        var cpu0 = process0.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int b = 0; b < batch; b++)
        {
            backend.Forward(caches[b], prompts[b], steering, logits.AsSpan(b * vocab, vocab));
            next[b] = Sampler.ArgMax(logits.AsSpan(b * vocab, vocab));
        }
        double prefillSeconds = sw.Elapsed.TotalSeconds;
        process0.Refresh();
        prefillCpuMs = (process0.TotalProcessorTime - cpu0).TotalMilliseconds;

        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        long totalBefore = GC.GetTotalAllocatedBytes(precise: true);
        long threadBefore = GC.GetAllocatedBytesForCurrentThread();
        ForwardProfile.Active = profile;
        long samplingTicks = 0;
        sw.Restart();
        for (int step = 0; step < genTokens; step++)
        {
            backend.DecodeBatch(caches, next, offsets, logits);
            long t0 = Stopwatch.GetTimestamp();
            for (int b = 0; b < batch; b++) next[b] = Sampler.ArgMax(logits.AsSpan(b * vocab, vocab));
            samplingTicks += Stopwatch.GetTimestamp() - t0;
        }
        double decodeSeconds = sw.Elapsed.TotalSeconds;
        ForwardProfile.Active = null;
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        long threadAllocated = GC.GetAllocatedBytesForCurrentThread() - threadBefore;
        long totalAllocated = GC.GetTotalAllocatedBytes(precise: true) - totalBefore;
        double tokens = (double)batch * genTokens;
        return new BenchResult(
            batch * promptTokens / prefillSeconds,
            prefillCpuMs,
            tokens / decodeSeconds,
            totalAllocated / tokens,
            threadAllocated / tokens,
            cpuSeconds * 1e3 / genTokens,
            decodeSeconds * 1e3 / genTokens,
            samplingTicks * 1e3 / Stopwatch.Frequency / genTokens);
    }
}
