using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>
/// The decoder forward of Llama / Mistral / Qwen2 / Qwen3 (HF semantics) over the rows of a
/// <see cref="RunState"/>. Rows may belong to one sequence (prefill: matrix-matrix work over the prompt)
/// or to many (decode batch: each weight is read once for all sequences). Architecture differences are
/// the <see cref="ArchitectureTraits"/> flags; nothing here names a model.
/// </summary>
internal sealed class Decoder : IDisposable
{
    private readonly ModelConfig config;
    private readonly ArchitectureTraits traits;
    private readonly DecoderWeights weights;
    private readonly float[] invFreq;   // [headDim / 2] RoPE inverse frequencies after rope_scaling
    private readonly int? slidingWindow;
    private readonly float attentionScale;
    private readonly KernelThreadPool pool;
    private GCHandle selfHandle; // lets the pool's static work function find this decoder without allocating

    // State of the current attention stage, read by the pool's workers (one forward at a time: the backend locks).
    private RunState? stageState;
    private int stageLayer, stageMaxKeys;
    private bool stageByRows;
    private AttentionCapture? stageCapture;

    [ThreadStatic] private static float[]? threadScores; // [≥ keys] attention probabilities scratch of each thread

    public Decoder(ModelConfig config, ArchitectureTraits traits, DecoderWeights weights, KernelThreadPool pool)
    {
        this.config = config;
        this.traits = traits;
        this.weights = weights;
        this.pool = pool;
        invFreq = Rope.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
        slidingWindow = traits.UsesSlidingWindow ? config.SlidingWindow : null;
        attentionScale = 1f / MathF.Sqrt(config.HeadDim);
        selfHandle = GCHandle.Alloc(this, GCHandleType.Normal);
    }

    public void Dispose()
    {
        if (selfHandle.IsAllocated) selfHandle.Free();
    }

    /// <summary>RoPE inverse frequencies (after scaling), for tests.</summary>
    public ReadOnlySpan<float> InverseFrequencies => invFreq;

    /// <summary>
    /// Runs rows <c>0…n−1</c> of <paramref name="s"/> (Tokens, Positions, Caches, Offsets filled by the caller)
    /// through every layer, appending their keys/values to the caches. The final hidden states are left in
    /// <c>s.X</c>; call <see cref="Logits"/> for the rows that need logits.
    /// </summary>
    public void Run(RunState s, int n, AttentionCapture? capture)
    {
        int hidden = config.HiddenSize, headDim = config.HeadDim, half = headDim / 2;
        int numHeads = config.NumAttentionHeads, numKvHeads = config.NumKeyValueHeads;
        int qDim = numHeads * headDim, kvDim = numKvHeads * headDim, inter = config.IntermediateSize;
        float eps = (float)config.RmsNormEps;

        // Token embeddings, and RoPE cos/sin of each row's position (shared by every layer and head).
        for (int r = 0; r < n; r++)
        {
            weights.EmbedTokens.GetRow(s.Tokens[r], s.X.AsSpan(r * hidden, hidden));
            Rope.Angles(s.Positions[r], invFreq, s.Cos.AsSpan(r * half, half), s.Sin.AsSpan(r * half, half));
        }

        for (int layer = 0; layer < weights.Layers.Length; layer++)
        {
            var lw = weights.Layers[layer];

            // ---- attention block: x += o_proj(attn(rmsnorm(x))) ----
            RmsNorm.Rows(s.X, lw.InputLayerNorm, eps, s.Xb, n);
            if (capture != null)
                for (int r = 0; r < n; r++)
                    capture.InputNormL1[layer][s.Positions[r]] = TensorPrimitives.SumOfMagnitudes(s.Xb.AsSpan(r * hidden, hidden));

            // q, k, v projections: matrix-matrix products over all rows, the three in one pass over the threads
            WeightMatrix.MatMul(s.Xb, n, pool, lw.QProj, s.Q, lw.KProj, s.K, lw.VProj, s.V);
            if (traits.QkvBias)
            {
                AddBiasRows(s.Q, lw.QProjBias!, n);
                AddBiasRows(s.K, lw.KProjBias!, n);
                AddBiasRows(s.V, lw.VProjBias!, n);
            }

            // Qwen3: RMSNorm over head_dim on every q and k head, before RoPE
            if (traits.QkNorm)
            {
                RmsNorm.Rows(s.Q, lw.QNorm!, eps, s.Q, n * numHeads);
                RmsNorm.Rows(s.K, lw.KNorm!, eps, s.K, n * numKvHeads);
            }

            // RoPE (rotate_half), then append k and v to each row's cache at its position
            for (int r = 0; r < n; r++)
            {
                var cos = s.Cos.AsSpan(r * half, half);
                var sin = s.Sin.AsSpan(r * half, half);
                Rope.Apply(s.Q.AsSpan(r * qDim, qDim), numHeads, headDim, cos, sin);
                Rope.Apply(s.K.AsSpan(r * kvDim, kvDim), numKvHeads, headDim, cos, sin);
                var cache = s.Caches[r];
                int pos = s.Positions[r];
                for (int kvh = 0; kvh < numKvHeads; kvh++)
                {
                    s.K.AsSpan(r * kvDim + kvh * headDim, headDim).CopyTo(cache.Keys[layer].AsSpan(cache.Index(kvh, pos), headDim));
                    s.V.AsSpan(r * kvDim + kvh * headDim, headDim).CopyTo(cache.Values[layer].AsSpan(cache.Index(kvh, pos), headDim));
                }
            }

            // attention per (row, head): scale, causal/sliding mask, steering offsets, softmax, weighted values
            Attend(s, layer, n, capture);

            lw.OProj.MatMul(s.AttOut, s.Xb2, n, pool);
            if (traits.OProjBias) AddBiasRows(s.Xb2, lw.OProjBias!, n);
            if (capture != null)
                for (int r = 0; r < n; r++)
                    capture.OutputNormL1[layer][s.Positions[r]] = TensorPrimitives.SumOfMagnitudes(s.Xb2.AsSpan(r * hidden, hidden));
            TensorPrimitives.Add(s.X.AsSpan(0, n * hidden), s.Xb2.AsSpan(0, n * hidden), s.X.AsSpan(0, n * hidden));

            // ---- MLP block: x += down_proj(silu(gate_proj(h)) · up_proj(h)), h = rmsnorm(x) ----
            RmsNorm.Rows(s.X, lw.PostAttentionLayerNorm, eps, s.Xb, n);
            WeightMatrix.MatMul(s.Xb, n, pool, lw.GateProj, s.Hb, lw.UpProj, s.Hb2, null, default);
            SwiGlu.Forward(s.Hb.AsSpan(0, n * inter), s.Hb2.AsSpan(0, n * inter));
            lw.DownProj.MatMul(s.Hb, s.Xb2, n, pool);
            TensorPrimitives.Add(s.X.AsSpan(0, n * hidden), s.Xb2.AsSpan(0, n * hidden), s.X.AsSpan(0, n * hidden));
        }
    }

    /// <summary>Final RMSNorm and lm_head for rows <c>row…row+count−1</c>: <paramref name="logits"/> [count, vocabSize].</summary>
    public void Logits(RunState s, int row, int count, Span<float> logits)
    {
        int hidden = config.HiddenSize;
        RmsNorm.Rows(s.X.AsSpan(row * hidden, count * hidden), weights.Norm, (float)config.RmsNormEps, s.Xb, count);
        weights.LmHead.MatMul(s.Xb, logits, count, pool);
    }

    private static void AddBiasRows(float[] x, float[] bias, int n)
    {
        int width = bias.Length;
        for (int r = 0; r < n; r++)
        {
            var row = x.AsSpan(r * width, width);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    private unsafe void Attend(RunState s, int layer, int n, AttentionCapture? capture)
    {
        int numHeads = config.NumAttentionHeads;
        long work = 0;
        int maxKeys = 0;
        for (int r = 0; r < n; r++)
        {
            work += s.Positions[r] + 1;
            maxKeys = Math.Max(maxKeys, s.Positions[r] + 1);
        }
        work *= (long)numHeads * config.HeadDim;

        stageState = s;
        stageLayer = layer;
        stageMaxKeys = maxKeys;
        stageCapture = capture;
        // Whole rows per item when capturing (the head average of a row is summed in head order by one
        // thread); otherwise (row, head) items. Each item is independent, so results never depend on threads.
        stageByRows = capture != null;
        int items = stageByRows ? n : n * numHeads;
        // Below ~32K multiply-adds a thread hand-off costs more than it saves: one chunk = the calling thread.
        int chunk = work < (1 << 15) ? items : Math.Max(1, items / (pool.ThreadCount * 4));
        pool.Run(&AttendItems, (void*)GCHandle.ToIntPtr(selfHandle), items, chunk);
        stageState = null;
        stageCapture = null;
    }

    private static unsafe void AttendItems(void* context, int start, int end)
    {
        var self = (Decoder)GCHandle.FromIntPtr((nint)context).Target!;
        self.AttendRange(start, end);
    }

    private void AttendRange(int start, int end)
    {
        var s = stageState!;
        int numHeads = config.NumAttentionHeads;
        int maxKeys = stageMaxKeys;
        var scores = threadScores;
        if (scores == null || scores.Length < maxKeys) threadScores = scores = new float[Math.Max(maxKeys, 2 * (scores?.Length ?? 256))];
        if (stageByRows)
        {
            for (int r = start; r < end; r++)
            {
                if (stageCapture != null)
                {
                    int len = stageCapture.Length, pos = s.Positions[r];
                    stageCapture.AvgAttention[stageLayer].AsSpan(pos * len, len).Clear();
                }
                for (int h = 0; h < numHeads; h++) AttendOne(s, r, h, scores);
            }
        }
        else
        {
            for (int i = start; i < end; i++) AttendOne(s, i / numHeads, i % numHeads, scores);
        }
    }

    private void AttendOne(RunState s, int r, int h, float[] scores)
    {
        int headDim = config.HeadDim, qDim = config.NumAttentionHeads * headDim;
        int pos = s.Positions[r];
        var cache = s.Caches[r];
        int kvh = h / config.KvGroups; // GQA: query head h reads KV head h / kvGroups (repeat_kv)
        int keyStart = slidingWindow is int window ? Math.Max(0, pos - window + 1) : 0; // key j visible iff j ≤ i and i − j < window
        int keyEnd = pos + 1;
        ReadOnlySpan<float> offsetRow = s.Offsets[r]?.Get(stageLayer, h);
        int block = cache.AllocatedPositions * headDim;
        Attention.Forward(
            s.Q.AsSpan(r * qDim + h * headDim, headDim),
            cache.Keys[stageLayer].AsSpan(cache.Index(kvh, 0), block),
            cache.Values[stageLayer].AsSpan(cache.Index(kvh, 0), block),
            headDim, keyStart, keyEnd, attentionScale, offsetRow, scores,
            s.AttOut.AsSpan(r * qDim + h * headDim, headDim));
        if (stageCapture != null)
        {
            int count = keyEnd - keyStart;
            var row = stageCapture.AvgAttention[stageLayer].AsSpan(pos * stageCapture.Length + keyStart, count);
            TensorPrimitives.MultiplyAdd(scores.AsSpan(0, count), 1f / config.NumAttentionHeads, row, row);
        }
    }
}
