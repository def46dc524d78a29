using SteerServer.Models.Inference;
using SteerServer.Steering.Pasta;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// Measures examples under PASTA steering of chosen heads: one teacher-forced pass over prompt + target per
/// example (the last target token is never fed), target log-likelihood from the target rows' logits, and greedy
/// exact match as "every target token is the argmax" (with teacher forcing that is the same as greedy decoding
/// reproducing the target: the contexts agree as long as every earlier token did).
/// <para>
/// <b>What is reused.</b> Every steered head gets the same offset row o (PASTA's offsets depend on the ranges, not
/// on the head), and a query row whose visible columns all carry the same offset is unchanged (softmax is
/// shift-invariant). Prompt row i sees columns [0, i], so rows before <c>s</c> = the first column where o differs
/// from o[0] are exactly the unsteered rows, in every layer (later layers only mix earlier rows into them). When o
/// is constant but non-zero (<c>generation</c>), all prompt rows are unchanged (s = L_in) and only the target rows,
/// which also see the un-offset target columns, change. So each example keeps one KV cache holding the unsteered
/// pass, and a head is measured by truncating it to <c>min(s, L_in − 1)</c> (the row L_in − 1 is re-run for its
/// logits, which predict the first target token) and extending with steering. That is exact in exact arithmetic;
/// in floating point the reused rows differ from a steered full pass only by the rounding of "add the same constant
/// to every logit of a row" (≈1e-7 relative).
/// An example whose o is all zero (α = 1) is never affected, and its baseline is returned as is.
/// When the per-example caches would not fit <see cref="DefaultCacheBudgetBytes"/> (large models, many examples),
/// one cache is shared and the prefix is recomputed once per example for each <see cref="MeasureHeads"/> call
/// (the profiler passes a layer's heads together).
/// Not reused (the API has no entry point for it): in layers below the steered layer the rows from s on are also
/// unchanged, so starting the pass at that layer would save another ≈ layer/num_layers of the work.
/// </para>
/// </summary>
public sealed class HeadMeasurer
{
    private readonly IModelBackend backend;
    private readonly ExampleState[] states;
    private readonly float[] lastLogits;
    private readonly float[] targetLogits;
    private readonly KvCache scratch; // for MeasureFromScratch (and the shared mode), so per-example caches keep their unsteered prefix bit for bit
    private readonly int numLayers, numHeads, vocab;

    /// <summary>Per-example KV caches are kept while they fit in this many bytes (float32 K and V); beyond it, one cache is shared.</summary>
    public const long DefaultCacheBudgetBytes = 2L << 30;

    /// <param name="cacheBudgetBytes">above this total, the per-example caches are not kept: see <see cref="MeasureHeads"/></param>
    public HeadMeasurer(IModelBackend backend, IReadOnlyList<ProfileExample> examples, ScalePosition mode, double alpha,
                        long cacheBudgetBytes = DefaultCacheBudgetBytes)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (!(alpha > 0) || !double.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha must be finite and > 0");
        this.backend = backend;
        Examples = examples;
        numLayers = backend.Config.NumHiddenLayers;
        numHeads = backend.Config.NumAttentionHeads;
        vocab = backend.Config.VocabSize;
        double lambda = Math.Log(alpha);
        states = new ExampleState[examples.Count];
        int maxTarget = 1, maxLength = 1;
        long positions = examples.Sum(e => (long)e.PromptIds.Length + e.TargetIds.Length - 1);
        var c = backend.Config;
        KeepsCaches = positions * c.NumHiddenLayers * c.NumKeyValueHeads * c.HeadDim * 2 * sizeof(float) <= cacheBudgetBytes;
        for (int i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            if (e.PromptIds.Length == 0 || e.TargetIds.Length == 0)
                throw new ArgumentException($"{e.Source}: the prompt and the target need at least one token each", nameof(examples));
            int promptLength = e.PromptIds.Length;
            float[] row = PastaOffsets.Compute(mode, lambda, e.Ranges, promptLength);
            int? reuse = ReusablePrefix(row);
            var cache = KeepsCaches ? backend.CreateCache(promptLength + e.TargetIds.Length - 1) : null;
            states[i] = new ExampleState(row, reuse, cache);
            maxTarget = Math.Max(maxTarget, e.TargetIds.Length);
            maxLength = Math.Max(maxLength, promptLength + e.TargetIds.Length - 1);
        }
        scratch = backend.CreateCache(maxLength);
        lastLogits = new float[vocab];
        targetLogits = new float[(maxTarget - 1) * vocab];

        // The unsteered pass fills every kept cache; its rows before s stay valid for every steered head.
        Baseline = new ExampleMeasurement[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            var cache = states[i].Cache ?? scratch;
            cache.Truncate(0);
            Baseline[i] = Run(i, cache, 0, null);
        }
    }

    public IReadOnlyList<ProfileExample> Examples { get; }

    public int NumLayers => numLayers;

    public int NumHeads => numHeads;

    /// <summary>Each example without steering.</summary>
    public ExampleMeasurement[] Baseline { get; }

    /// <summary>Positions of example <paramref name="index"/> re-run per head (prompt rows from s, plus the target rows); 0 when steering cannot affect it.</summary>
    public int RowsPerHead(int index)
    {
        var e = Examples[index];
        return states[index].Reuse is { } s ? e.PromptIds.Length - s + e.TargetIds.Length - 1 : 0;
    }

    /// <summary>
    /// True when every example keeps its own KV cache between heads (the unsteered prefix is computed once per
    /// example); false when they would not fit the budget and one cache is shared (the prefix is recomputed once per
    /// example for each <see cref="MeasureHeads"/> call, so callers pass several heads at a time).
    /// </summary>
    public bool KeepsCaches { get; }

    /// <summary>Every example with only (<paramref name="layer"/>, <paramref name="head"/>) steered, reusing the unsteered prompt prefix.</summary>
    public ExampleMeasurement[] MeasureHead(int layer, int head) => MeasureHeads([(layer, head)])[0];

    /// <summary>
    /// For each of <paramref name="heads"/>, every example with only that head steered, reusing the unsteered prompt
    /// prefix: from the example's kept cache, or (shared mode) from one prefill per example for the whole list.
    /// </summary>
    public ExampleMeasurement[][] MeasureHeads(IReadOnlyList<(int Layer, int Head)> heads)
    {
        foreach (var (layer, head) in heads)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)layer, (uint)numLayers, nameof(heads));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)head, (uint)numHeads, nameof(heads));
        }
        var result = new ExampleMeasurement[heads.Count][];
        for (int k = 0; k < heads.Count; k++) result[k] = new ExampleMeasurement[states.Length];
        for (int i = 0; i < states.Length; i++)
        {
            var st = states[i];
            if (st.Reuse is not { } s)
            {
                for (int k = 0; k < heads.Count; k++) result[k][i] = Baseline[i];
                continue;
            }
            var cache = st.Cache ?? scratch;
            if (st.Cache is null)
            {
                scratch.Truncate(0);
                if (s > 0) backend.Forward(scratch, Examples[i].PromptIds.AsSpan(0, s), null, lastLogits);
            }
            for (int k = 0; k < heads.Count; k++)
            {
                var offsets = new AttentionOffsets(numLayers, numHeads, st.Row.Length);
                st.Row.CopyTo(offsets.GetOrCreate(heads[k].Layer, heads[k].Head), 0);
                cache.Truncate(s);
                result[k][i] = Run(i, cache, s, offsets);
            }
        }
        return result;
    }

    /// <summary>
    /// Every example with the heads of <paramref name="heads"/> steered (layer → heads; empty = none), each computed
    /// from scratch (full prefill, no reuse): the reference the reused measurements must agree with.
    /// </summary>
    public ExampleMeasurement[] MeasureFromScratch(IReadOnlyDictionary<int, int[]> heads)
    {
        var result = new ExampleMeasurement[states.Length];
        for (int i = 0; i < states.Length; i++)
        {
            var st = states[i];
            AttentionOffsets? offsets = null;
            foreach (var (layer, list) in heads)
                foreach (int h in list)
                {
                    offsets ??= new AttentionOffsets(numLayers, numHeads, st.Row.Length);
                    st.Row.CopyTo(offsets.GetOrCreate(layer, h), 0);
                }
            scratch.Truncate(0);
            result[i] = Run(i, scratch, 0, offsets);
        }
        return result;
    }

    // Feeds prompt[from..] then target[..^1] after a cache holding `from` positions; scores the target.
    private ExampleMeasurement Run(int index, KvCache cache, int from, AttentionOffsets? offsets)
    {
        var e = Examples[index];
        backend.Forward(cache, e.PromptIds.AsSpan(from), offsets, lastLogits);
        double logProb = TargetScorer.LogProb(lastLogits, e.TargetIds[0]);
        bool correct = TargetScorer.IsArgMax(lastLogits, e.TargetIds[0]);
        int rest = e.TargetIds.Length - 1;
        if (rest > 0)
        {
            backend.Forward(cache, e.TargetIds.AsSpan(0, rest), offsets, targetLogits, allPositions: true);
            for (int t = 0; t < rest; t++)
            {
                var row = targetLogits.AsSpan(t * vocab, vocab);
                logProb += TargetScorer.LogProb(row, e.TargetIds[t + 1]);
                correct &= TargetScorer.IsArgMax(row, e.TargetIds[t + 1]);
            }
        }
        return new ExampleMeasurement(logProb, correct);
    }

    /// <summary>
    /// The first prompt row a steered head can change, clamped to L_in − 1 (whose logits predict the first target
    /// token); null when the row is all zero and nothing can change. See the class comment.
    /// </summary>
    internal static int? ReusablePrefix(float[] row)
    {
        int promptLength = row.Length;
        for (int j = 1; j < promptLength; j++)
            if (row[j] != row[0]) return Math.Min(j, promptLength - 1);
        return row.Length > 0 && row[0] != 0 ? promptLength - 1 : null;
    }

    /// <param name="Cache">the example's own cache holding the unsteered pass; null in the shared mode</param>
    private sealed record ExampleState(float[] Row, int? Reuse, KvCache? Cache);
}
