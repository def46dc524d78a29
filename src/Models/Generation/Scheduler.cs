using SteerServer.Models.Inference;

namespace SteerServer.Models.Generation;

/// <summary>
/// Continuous batching over one <see cref="IModelBackend"/>. Sequences join between decode steps
/// (<see cref="Admit"/> runs their prefill and samples their first token); each <see cref="Step"/> is one
/// <see cref="IModelBackend.DecodeBatch"/> over every active sequence, each with its own sampler, cache and
/// steering offsets. Cancelled sequences leave before the next step; a sequence the engine fails on ends with
/// its error and the others go on. Batch size and reserved KV positions are bounded.
/// Single-threaded: the model worker owns it.
/// </summary>
public sealed class Scheduler
{
    private readonly IModelBackend backend;
    private readonly int vocabSize;
    private readonly List<Sequence> active = [];
    private readonly float[] prefillLogits;   // [vocab]
    private readonly float[] batchLogits;     // [maxBatch, vocab]
    private readonly KvCache[] caches;        // [maxBatch]
    private readonly int[] tokens;            // [maxBatch]
    private readonly AttentionOffsets?[] offsets; // [maxBatch]
    private readonly int[] lengths;           // [maxBatch] cache lengths before the step, to roll back
    private readonly bool[] failed;           // [maxBatch]
    private long reservedKv;

    public Scheduler(IModelBackend backend, int maxBatch, long maxKvTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKvTokens);
        this.backend = backend;
        MaxBatch = maxBatch;
        MaxKvTokens = maxKvTokens;
        vocabSize = backend.Config.VocabSize;
        prefillLogits = new float[vocabSize];
        batchLogits = new float[(long)maxBatch * vocabSize];
        caches = new KvCache[maxBatch];
        tokens = new int[maxBatch];
        offsets = new AttentionOffsets?[maxBatch];
        lengths = new int[maxBatch];
        failed = new bool[maxBatch];
    }

    public int MaxBatch { get; }
    public long MaxKvTokens { get; }

    /// <summary>KV positions reserved by the running batch (read by the metrics from another thread).</summary>
    public long ReservedKvTokens => Volatile.Read(ref reservedKv);

    /// <summary>Sequences in the running batch.</summary>
    public int Count => active.Count;

    /// <summary>Called once for every sequence that leaves (finished, cancelled or failed), on the worker thread.</summary>
    public Action<Sequence>? Completed { get; set; }

    /// <summary>
    /// True when <paramref name="sequence"/> fits: a free batch slot and room in the KV budget. An empty batch
    /// takes any sequence, so one request larger than the budget still runs (alone).
    /// </summary>
    public bool CanAdmit(Sequence sequence) =>
        active.Count == 0 || (active.Count < MaxBatch && reservedKv + sequence.Capacity <= MaxKvTokens);

    /// <summary>Prefills <paramref name="sequence"/> and samples its first token; it joins the batch unless already done.</summary>
    public void Admit(Sequence sequence)
    {
        if (sequence.Cancellation.IsCancellationRequested) { Leave(sequence, cancelled: true); return; }
        try
        {
            sequence.Cache = backend.CreateCache(sequence.Capacity);
            backend.Forward(sequence.Cache, sequence.Prompt, sequence.Offsets, prefillLogits);
            var first = sequence.Sampler.Sample(prefillLogits, sequence.Generated);
            if (sequence.Accept(first)) { Completed?.Invoke(sequence); return; }
        }
        catch (Exception e)
        {
            sequence.Fail(e);
            Completed?.Invoke(sequence);
            return;
        }
        active.Add(sequence);
        reservedKv += sequence.Capacity;
    }

    /// <summary>One decode step over every active sequence; finished, cancelled and failed ones leave.</summary>
    public void Step()
    {
        for (int i = active.Count - 1; i >= 0; i--)
            if (active[i].Cancellation.IsCancellationRequested)
            {
                var s = active[i];
                RemoveAt(i);
                Leave(s, cancelled: true);
            }
        int n = active.Count;
        if (n == 0) return;

        for (int i = 0; i < n; i++)
        {
            var s = active[i];
            caches[i] = s.Cache!;
            tokens[i] = s.PendingToken;
            offsets[i] = s.Offsets;
            lengths[i] = s.Cache!.Length;
            failed[i] = false;
        }
        var logits = batchLogits.AsSpan(0, n * vocabSize);
        try
        {
            backend.DecodeBatch(caches.AsSpan(0, n), tokens.AsSpan(0, n), offsets.AsSpan(0, n), logits);
        }
        catch (Exception e)
        {
            if (n == 1) failed[0] = Fail(0, e);
            else DecodeOneByOne(n); // find the sequence that fails; the others get their step
        }

        for (int i = 0; i < n; i++)
        {
            if (failed[i]) continue;
            var s = active[i];
            try
            {
                var next = s.Sampler.Sample(logits.Slice(i * vocabSize, vocabSize), s.Generated);
                failed[i] = s.Accept(next); // "failed" doubles as "leaves now" below
            }
            catch (Exception e)
            {
                failed[i] = Fail(i, e);
            }
        }
        for (int i = n - 1; i >= 0; i--)
        {
            if (!failed[i]) continue;
            var s = active[i];
            RemoveAt(i);
            Completed?.Invoke(s);
        }
        Array.Clear(caches, 0, n);
        Array.Clear(offsets, 0, n);
    }

    /// <summary>Cancels every running sequence (shutdown after the drain timeout).</summary>
    public void CancelAll()
    {
        for (int i = active.Count - 1; i >= 0; i--)
        {
            var s = active[i];
            RemoveAt(i);
            Leave(s, cancelled: true);
        }
    }

    private void DecodeOneByOne(int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (caches[i].Length > lengths[i]) caches[i].Truncate(lengths[i]); // undo a partly applied batch step
            try
            {
                backend.DecodeBatch(caches.AsSpan(i, 1), tokens.AsSpan(i, 1), offsets.AsSpan(i, 1), batchLogits.AsSpan(i * vocabSize, vocabSize));
            }
            catch (Exception e)
            {
                failed[i] = Fail(i, e);
            }
        }
    }

    private bool Fail(int i, Exception e)
    {
        active[i].Fail(e);
        return true;
    }

    private void RemoveAt(int i)
    {
        reservedKv -= active[i].Capacity;
        active.RemoveAt(i);
    }

    private void Leave(Sequence s, bool cancelled)
    {
        if (cancelled) s.Cancel();
        Completed?.Invoke(s);
    }
}
