using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// Scaled dot-product attention of a group of query vectors that share one KV head (the query heads of a
/// GQA group, for one token) over a KV-cache block, in f32: for each query <c>i</c>,
/// <c>out_i = Σ_j softmax_j(scale · q_i·k_j + offset_ij) · v_j</c> over the visible keys
/// <c>keyStart ≤ j &lt; keyEnd</c> (causal and sliding-window masking are expressed by that range; masked cells
/// are never used). <c>offset_ij</c> is the steering hook: row <c>offsets[i]</c> is added to key columns
/// <c>j &lt; offsets[i].Length</c> (the prompt); none when the row is null or <c>offsets</c> is empty (no cost then).
/// <para>
/// Keys are stored in panels of <see cref="Panel"/> positions, each panel <c>[headDim][Panel]</c>
/// (<see cref="KeyIndex"/>), so one vector holds one dimension of 16 consecutive keys: the logits of 16 keys
/// come out of plain FMAs with no horizontal sums, and every key and value is loaded once for the whole group.
/// Values are position-major <c>[position][headDim]</c>.
/// </para>
/// <para>
/// The arithmetic of one query depends only on its own key range, never on the other queries of the group: the dot
/// product of <c>q</c> and <c>k_j</c> is four FMA chains over <c>d mod 4</c> summed as <c>(c0 + c1) + (c2 + c3)</c>
/// (the same logits on every width), the softmax runs over aligned chunks of <see cref="Chunk"/> keys merged in order,
/// and values are accumulated in key order. So a token gives the same bits alone, in a decode batch, split over
/// threads (<see cref="ForwardChunk"/>), or as a row of a prefill.
/// </para>
/// </summary>
public static class Attention
{
    /// <summary>Key positions per key panel.</summary>
    public const int Panel = 16;

    /// <summary>Queries computed together (their accumulators live in registers).</summary>
    private const int MaxGroup = 4;

    /// <summary>Offset of dimension <paramref name="d"/> of the key at <paramref name="pos"/> in a panel-layout key block.</summary>
    public static int KeyIndex(int pos, int d, int headDim) => (pos & ~(Panel - 1)) * headDim + d * Panel + (pos & (Panel - 1));

    /// <summary>Writes one key (<c>[headDim]</c>) at <paramref name="pos"/> of a panel-layout key block.</summary>
    public static void StoreKey(ReadOnlySpan<float> key, Span<float> keyPanels, int pos)
    {
        int headDim = key.Length;
        var panel = keyPanels.Slice((pos & ~(Panel - 1)) * headDim, Panel * headDim);
        int lane = pos & (Panel - 1);
        for (int d = 0; d < headDim; d++) panel[d * Panel + lane] = key[d];
    }

    /// <summary>
    /// Key positions per softmax chunk: longer ranges are done chunk by chunk and merged (as flash-decoding does),
    /// so the chunks of one decode step can go to different threads with the same bits.
    /// </summary>
    public const int Chunk = 256;

    /// <summary>Floats of <c>scratch</c> that <see cref="Forward"/> and <see cref="ForwardChunk"/> need for this key range.</summary>
    public static int ScratchLength(int keyStart, int keyEnd, int headDim) =>
        MaxGroup * (PaddedCount(keyStart, keyEnd) + headDim + ChunkCount(keyStart, keyEnd));

    private static int PaddedCount(int keyStart, int keyEnd) => ((keyEnd + Panel - 1) & ~(Panel - 1)) - (keyStart & ~(Panel - 1));

    /// <param name="q">[queries * headDim] the queries (RoPE applied), one after the other.</param>
    /// <param name="queries">Number of queries (≥ 1), e.g. the query heads of one KV head.</param>
    /// <param name="keyPanels">This KV head's keys in panel layout (<see cref="KeyIndex"/>), covering whole panels up to keyEnd.</param>
    /// <param name="values">[≥ keyEnd * headDim] this KV head's values, position-major.</param>
    /// <param name="offsets">Empty (no steering), or [queries] rows of additive logit offsets for prompt key columns (null = none).</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    /// <param name="output">[queries * headDim] results.</param>
    /// <param name="capture">Empty, or [keyEnd − keyStart]: receives <c>+= captureWeight · p_ij</c> for each query in order (Influence head average).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // full opts at once: tier 0 vector code is many times slower
    public static void Forward(ReadOnlySpan<float> q, int queries, ReadOnlySpan<float> keyPanels, ReadOnlySpan<float> values, int headDim,
        int keyStart, int keyEnd, float scale, ReadOnlySpan<float[]?> offsets, Span<float> scratch, Span<float> output,
        Span<float> capture = default, float captureWeight = 0, KernelVariant variant = KernelVariant.Auto)
    {
        int count = keyEnd - keyStart;
        Check(q, queries, keyPanels, values, headDim, keyStart, keyEnd, offsets, scratch, output);
        if (!capture.IsEmpty && capture.Length < count) throw new ArgumentException("Attention: capture shorter than the key range");
        var v = Width(variant, headDim);
        int panelStart = keyStart & ~(Panel - 1), stride = PaddedCount(keyStart, keyEnd), chunks = ChunkCount(keyStart, keyEnd);
        var partial = scratch.Slice(MaxGroup * stride, MaxGroup * headDim);
        var chunkMax = scratch.Slice(MaxGroup * (stride + headDim), MaxGroup * chunks);
        Span<float> max = stackalloc float[MaxGroup];      // running max, sum and 1/sum (one chunk) of each query
        Span<float> sum = stackalloc float[MaxGroup];
        Span<float> invSum = stackalloc float[MaxGroup];
        Span<float> one = stackalloc float[MaxGroup];
        Span<float> mk = stackalloc float[MaxGroup];       // max and sum of the current chunk
        Span<float> lk = stackalloc float[MaxGroup];
        one.Fill(1f);
        for (int c = 0; c < queries; c += MaxGroup)
        {
            int m = Math.Min(MaxGroup, queries - c);

            // 1. logits of whole panels: scale · q·k_j; steering offsets; −∞ outside [keyStart, keyEnd)
            Scores(v, m, ref Unsafe.AsRef(in q[c * headDim]), headDim, ref Unsafe.AsRef(in keyPanels[panelStart * headDim]), stride / Panel,
                ref scratch[0], stride, scale);
            for (int i = 0; i < m; i++)
                OffsetAndMask(scratch.Slice(i * stride, stride), panelStart, keyStart, keyEnd, offsets.Length != 0 ? offsets[c + i] : null);

            // 2. per chunk: softmax numerators e_ij = exp(z_ij − max) and Σ_j e_ij v_j in key order, merged into the
            //    output; a single chunk (up to 256 keys) is normalised in the value pass itself
            var o = output.Slice(c * headDim, m * headDim);
            for (int k = 0; k < chunks; k++)
            {
                var (cs, ce) = ChunkRange(keyStart, keyEnd, k);
                for (int i = 0; i < m; i++)
                {
                    mk[i] = Softmax(v, scratch.Slice(i * stride, stride), panelStart, cs, ce, out lk[i]);
                    chunkMax[i * chunks + k] = mk[i];
                }
                if (k == 0)
                {
                    for (int i = 0; i < m; i++) { max[i] = mk[i]; sum[i] = lk[i]; invSum[i] = chunks == 1 ? 1f / lk[i] : 1f; }
                    WeightedValues(v, m, values, headDim, cs, ce, scratch, stride, panelStart, invSum, o);
                }
                else
                {
                    WeightedValues(v, m, values, headDim, cs, ce, scratch, stride, panelStart, one, partial);
                    for (int i = 0; i < m; i++)
                        MergeChunk(o.Slice(i * headDim, headDim), ref max[i], ref sum[i], partial.Slice(i * headDim, headDim), mk[i], lk[i]);
                }
            }
            if (chunks > 1)
                for (int i = 0; i < m; i++) FinishChunks(o.Slice(i * headDim, headDim), sum[i]);

            // 3. Influence capture: the head average, summed in query order
            if (!capture.IsEmpty)
                for (int i = 0; i < m; i++)
                    for (int k = 0; k < chunks; k++)
                    {
                        var (cs, ce) = ChunkRange(keyStart, keyEnd, k);
                        float factor = chunks == 1 ? 1f / sum[i] : MathF.Exp(chunkMax[i * chunks + k] - max[i]) / sum[i];
                        var p = scratch.Slice(i * stride + cs - panelStart, ce - cs);
                        var row = capture.Slice(cs - keyStart, ce - cs);
                        TensorPrimitives.Multiply(p, factor, p);
                        TensorPrimitives.MultiplyAdd(p, captureWeight, row, row);
                    }
        }
    }

    /// <summary>
    /// One chunk (<see cref="ChunkRange"/>) of <see cref="Forward"/> for the same queries, unnormalised: <paramref name="partial"/>
    /// [queries * headDim] = Σ_j e_ij v_j, <paramref name="chunkMax"/>[i] the max logit and <paramref name="chunkSum"/>[i] = Σ_j e_ij,
    /// with e_ij = exp(z_ij − max). Chunks of one query merged in order with <see cref="MergeChunk"/> then <see cref="FinishChunks"/>
    /// give exactly the bits of <see cref="Forward"/>: a decode step of one sequence can be split over threads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // full opts at once: tier 0 vector code is many times slower
    public static void ForwardChunk(ReadOnlySpan<float> q, int queries, ReadOnlySpan<float> keyPanels, ReadOnlySpan<float> values, int headDim,
        int keyStart, int keyEnd, int chunk, float scale, ReadOnlySpan<float[]?> offsets, Span<float> scratch,
        Span<float> partial, Span<float> chunkMax, Span<float> chunkSum, KernelVariant variant = KernelVariant.Auto)
    {
        Check(q, queries, keyPanels, values, headDim, keyStart, keyEnd, offsets, scratch, partial);
        if ((uint)chunk >= (uint)ChunkCount(keyStart, keyEnd) || chunkMax.Length < queries || chunkSum.Length < queries)
            throw new ArgumentException("Attention: bad chunk or chunk buffers");
        var v = Width(variant, headDim);
        var (cs, ce) = ChunkRange(keyStart, keyEnd, chunk);
        int panelStart = cs & ~(Panel - 1), stride = PaddedCount(cs, ce);
        Span<float> one = stackalloc float[MaxGroup];
        one.Fill(1f);
        for (int c = 0; c < queries; c += MaxGroup)
        {
            int m = Math.Min(MaxGroup, queries - c);
            Scores(v, m, ref Unsafe.AsRef(in q[c * headDim]), headDim, ref Unsafe.AsRef(in keyPanels[panelStart * headDim]), stride / Panel,
                ref scratch[0], stride, scale);
            for (int i = 0; i < m; i++)
            {
                OffsetAndMask(scratch.Slice(i * stride, stride), panelStart, cs, ce, offsets.Length != 0 ? offsets[c + i] : null);
                chunkMax[c + i] = Softmax(v, scratch.Slice(i * stride, stride), panelStart, cs, ce, out chunkSum[c + i]);
            }
            WeightedValues(v, m, values, headDim, cs, ce, scratch, stride, panelStart, one, partial.Slice(c * headDim, m * headDim));
        }
    }

    /// <summary>Folds one more chunk (partial sums, its max and its sum) into a running output row, max and sum.</summary>
    public static void MergeChunk(Span<float> output, ref float max, ref float sum, ReadOnlySpan<float> partial, float chunkMax, float chunkSum)
    {
        float m = Math.Max(max, chunkMax);
        float a = MathF.Exp(max - m), b = MathF.Exp(chunkMax - m);
        TensorPrimitives.Multiply(output, a, output);
        TensorPrimitives.FusedMultiplyAdd(partial[..output.Length], b, output, output);
        sum = MathF.FusedMultiplyAdd(chunkSum, b, sum * a);
        max = m;
    }

    /// <summary>Normalises a merged output row by its sum.</summary>
    public static void FinishChunks(Span<float> output, float sum)
    {
        TensorPrimitives.Multiply(output, 1f / sum, output);
    }

    /// <summary>Chunks of the softmax over <c>[keyStart, keyEnd)</c>: aligned blocks of <see cref="Chunk"/> positions.</summary>
    public static int ChunkCount(int keyStart, int keyEnd) => (keyEnd - 1) / Chunk - keyStart / Chunk + 1;

    /// <summary>Key range of chunk <paramref name="k"/> of <c>[keyStart, keyEnd)</c>.</summary>
    public static (int Start, int End) ChunkRange(int keyStart, int keyEnd, int k)
    {
        int aligned = (keyStart / Chunk + k) * Chunk;
        return (Math.Max(keyStart, aligned), Math.Min(keyEnd, aligned + Chunk));
    }

    private static void Check(ReadOnlySpan<float> q, int queries, ReadOnlySpan<float> keyPanels, ReadOnlySpan<float> values, int headDim,
        int keyStart, int keyEnd, ReadOnlySpan<float[]?> offsets, Span<float> scratch, Span<float> output)
    {
        if (keyEnd <= keyStart || keyStart < 0 || headDim <= 0 || queries <= 0
            || (long)((keyEnd + Panel - 1) & ~(Panel - 1)) * headDim > keyPanels.Length || (long)keyEnd * headDim > values.Length
            || q.Length < queries * headDim || output.Length < queries * headDim || scratch.Length < ScratchLength(keyStart, keyEnd, headDim)
            || (offsets.Length != 0 && offsets.Length < queries))
            throw new ArgumentException("Attention: bad key range or buffer sizes");
    }

    // The value pass needs whole vectors per head (head_dim is 64 or 128 in practice); others use the scalar path.
    private static KernelVariant Width(KernelVariant variant, int headDim)
    {
        var v = KernelDispatch.Resolve(variant);
        if (v == KernelVariant.V512 && headDim % Vector512<float>.Count != 0) v = KernelVariant.V256;
        if (v == KernelVariant.V256 && headDim % Vector256<float>.Count != 0) v = KernelVariant.Scalar;
        return v;
    }

    // o_i (+)= Σ_{j ∈ [cs, ce)} e_ij v_j · invSum_i, in key order; e_ij at scratch[i * stride + j − panelStart].
    private static void WeightedValues(KernelVariant v, int m, ReadOnlySpan<float> values, int headDim, int cs, int ce,
        Span<float> scratch, int stride, int panelStart, ReadOnlySpan<float> invSum, Span<float> output)
    {
        ref float e0 = ref scratch[cs - panelStart];
        ref float v0 = ref Unsafe.AsRef(in values[cs * headDim]);
        ref float o0 = ref output[0];
        if (v == KernelVariant.V512) Values512(m, ref v0, headDim, ce - cs, ref e0, stride, invSum, ref o0);
        else if (v == KernelVariant.V256) Values256(m, ref v0, headDim, ce - cs, ref e0, stride, invSum, ref o0);
        else ValuesScalar(m, ref v0, headDim, ce - cs, ref e0, stride, invSum, ref o0);
    }

    // ---- 1. logits ----

    private static void Scores(KernelVariant v, int m, ref float q, int headDim, ref float k, int panels, ref float s, int stride, float scale)
    {
        if (v == KernelVariant.V512)
        {
            switch (m)
            {
                case 1: Scores512<Count1>(ref q, headDim, ref k, panels, ref s, stride, scale); break;
                case 2: Scores512<Count2>(ref q, headDim, ref k, panels, ref s, stride, scale); break;
                case 3: Scores512<Count3>(ref q, headDim, ref k, panels, ref s, stride, scale); break;
                default: Scores512<Count4>(ref q, headDim, ref k, panels, ref s, stride, scale); break;
            }
        }
        else if (v == KernelVariant.V256)
        {
            switch (m)
            {
                case 1: Scores256<Count1>(ref q, headDim, ref k, panels, ref s, stride, scale); break;
                case 2: Scores256<Count2>(ref q, headDim, ref k, panels, ref s, stride, scale); break;
                case 3: Scores256<Count3>(ref q, headDim, ref k, panels, ref s, stride, scale); break;
                default: Scores256<Count4>(ref q, headDim, ref k, panels, ref s, stride, scale); break;
            }
        }
        else ScoresScalar(m, ref q, headDim, ref k, panels, ref s, stride, scale);
    }

    // One panel at a time: four chains (d mod 4) per query hide the FMA latency; each key vector feeds every query.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once (tier 0 vector code is many times slower)
    private static void Scores512<TM>(ref float q, int headDim, ref float k, int panels, ref float s, int stride, float scale)
        where TM : struct, ICount
    {
        int m = TM.Value;
        ref float q1 = ref Unsafe.Add(ref q, m > 1 ? headDim : 0);
        ref float q2 = ref Unsafe.Add(ref q, m > 2 ? 2 * headDim : 0);
        ref float q3 = ref Unsafe.Add(ref q, m > 3 ? 3 * headDim : 0);
        int body = headDim & ~3;
        for (int p = 0; p < panels; p++)
        {
            ref float kp = ref Unsafe.Add(ref k, p * Panel * headDim);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
            Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
            int d = 0;
            for (; d < body; d += 4)
            {
                var k0 = Vector512.LoadUnsafe(ref kp, (nuint)(d * Panel));
                var k1 = Vector512.LoadUnsafe(ref kp, (nuint)((d + 1) * Panel));
                var k2 = Vector512.LoadUnsafe(ref kp, (nuint)((d + 2) * Panel));
                var k3 = Vector512.LoadUnsafe(ref kp, (nuint)((d + 3) * Panel));
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q, d)), k0, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q, d + 1)), k1, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q, d + 2)), k2, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q, d + 3)), k3, a3);
                if (m > 1)
                {
                    b0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q1, d)), k0, b0);
                    b1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q1, d + 1)), k1, b1);
                    b2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q1, d + 2)), k2, b2);
                    b3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q1, d + 3)), k3, b3);
                }
                if (m > 2)
                {
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q2, d)), k0, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q2, d + 1)), k1, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q2, d + 2)), k2, c2);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q2, d + 3)), k3, c3);
                }
                if (m > 3)
                {
                    d0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q3, d)), k0, d0);
                    d1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q3, d + 1)), k1, d1);
                    d2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q3, d + 2)), k2, d2);
                    d3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q3, d + 3)), k3, d3);
                }
            }
            for (int t = 0; d < headDim; d++, t++) // head_dim not a multiple of 4: the tail continues chains 0, 1, 2
            {
                var kt = Vector512.LoadUnsafe(ref kp, (nuint)(d * Panel));
                if (t == 0) a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q, d)), kt, a0);
                else if (t == 1) a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q, d)), kt, a1);
                else a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q, d)), kt, a2);
                if (m > 1)
                {
                    if (t == 0) b0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q1, d)), kt, b0);
                    else if (t == 1) b1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q1, d)), kt, b1);
                    else b2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q1, d)), kt, b2);
                }
                if (m > 2)
                {
                    if (t == 0) c0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q2, d)), kt, c0);
                    else if (t == 1) c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q2, d)), kt, c1);
                    else c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q2, d)), kt, c2);
                }
                if (m > 3)
                {
                    if (t == 0) d0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q3, d)), kt, d0);
                    else if (t == 1) d1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q3, d)), kt, d1);
                    else d2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref q3, d)), kt, d2);
                }
            }
            nuint o = (nuint)(p * Panel);
            ((a0 + a1 + (a2 + a3)) * scale).StoreUnsafe(ref s, o);
            if (m > 1) ((b0 + b1 + (b2 + b3)) * scale).StoreUnsafe(ref s, o + (nuint)stride);
            if (m > 2) ((c0 + c1 + (c2 + c3)) * scale).StoreUnsafe(ref s, o + (nuint)(2 * stride));
            if (m > 3) ((d0 + d1 + (d2 + d3)) * scale).StoreUnsafe(ref s, o + (nuint)(3 * stride));
        }
    }

    // Same arithmetic per key as Scores512, on each half panel.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once (tier 0 vector code is many times slower)
    private static void Scores256<TM>(ref float q, int headDim, ref float k, int panels, ref float s, int stride, float scale)
        where TM : struct, ICount
    {
        int m = TM.Value;
        ref float q1 = ref Unsafe.Add(ref q, m > 1 ? headDim : 0);
        ref float q2 = ref Unsafe.Add(ref q, m > 2 ? 2 * headDim : 0);
        ref float q3 = ref Unsafe.Add(ref q, m > 3 ? 3 * headDim : 0);
        int body = headDim & ~3;
        for (int h = 0; h < 2 * panels; h++)
        {
            int p = h >> 1, half = (h & 1) * Vector256<float>.Count;
            ref float kp = ref Unsafe.Add(ref k, p * Panel * headDim + half);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
            Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default;
            int d = 0;
            for (; d < body; d += 4)
            {
                var k0 = Vector256.LoadUnsafe(ref kp, (nuint)(d * Panel));
                var k1 = Vector256.LoadUnsafe(ref kp, (nuint)((d + 1) * Panel));
                var k2 = Vector256.LoadUnsafe(ref kp, (nuint)((d + 2) * Panel));
                var k3 = Vector256.LoadUnsafe(ref kp, (nuint)((d + 3) * Panel));
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q, d)), k0, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q, d + 1)), k1, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q, d + 2)), k2, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q, d + 3)), k3, a3);
                if (m > 1)
                {
                    b0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q1, d)), k0, b0);
                    b1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q1, d + 1)), k1, b1);
                    b2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q1, d + 2)), k2, b2);
                    b3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q1, d + 3)), k3, b3);
                }
                if (m > 2)
                {
                    c0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q2, d)), k0, c0);
                    c1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q2, d + 1)), k1, c1);
                    c2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q2, d + 2)), k2, c2);
                    c3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q2, d + 3)), k3, c3);
                }
                if (m > 3)
                {
                    d0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q3, d)), k0, d0);
                    d1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q3, d + 1)), k1, d1);
                    d2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q3, d + 2)), k2, d2);
                    d3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q3, d + 3)), k3, d3);
                }
            }
            for (int t = 0; d < headDim; d++, t++)
            {
                var kt = Vector256.LoadUnsafe(ref kp, (nuint)(d * Panel));
                if (t == 0) a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q, d)), kt, a0);
                else if (t == 1) a1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q, d)), kt, a1);
                else a2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q, d)), kt, a2);
                if (m > 1)
                {
                    if (t == 0) b0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q1, d)), kt, b0);
                    else if (t == 1) b1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q1, d)), kt, b1);
                    else b2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q1, d)), kt, b2);
                }
                if (m > 2)
                {
                    if (t == 0) c0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q2, d)), kt, c0);
                    else if (t == 1) c1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q2, d)), kt, c1);
                    else c2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q2, d)), kt, c2);
                }
                if (m > 3)
                {
                    if (t == 0) d0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q3, d)), kt, d0);
                    else if (t == 1) d1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q3, d)), kt, d1);
                    else d2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref q3, d)), kt, d2);
                }
            }
            nuint o = (nuint)(p * Panel + half);
            ((a0 + a1 + (a2 + a3)) * scale).StoreUnsafe(ref s, o);
            if (m > 1) ((b0 + b1 + (b2 + b3)) * scale).StoreUnsafe(ref s, o + (nuint)stride);
            if (m > 2) ((c0 + c1 + (c2 + c3)) * scale).StoreUnsafe(ref s, o + (nuint)(2 * stride));
            if (m > 3) ((d0 + d1 + (d2 + d3)) * scale).StoreUnsafe(ref s, o + (nuint)(3 * stride));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once (tier 0 vector code is many times slower)
    private static void ScoresScalar(int m, ref float q, int headDim, ref float k, int panels, ref float s, int stride, float scale)
    {
        for (int i = 0; i < m; i++)
        {
            ref float qi = ref Unsafe.Add(ref q, i * headDim);
            for (int p = 0; p < panels; p++)
                for (int lane = 0; lane < Panel; lane++)
                {
                    ref float kp = ref Unsafe.Add(ref k, p * Panel * headDim + lane);
                    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    int d = 0;
                    for (; d + 4 <= headDim; d += 4)
                    {
                        a0 = MathF.FusedMultiplyAdd(Unsafe.Add(ref qi, d), Unsafe.Add(ref kp, d * Panel), a0);
                        a1 = MathF.FusedMultiplyAdd(Unsafe.Add(ref qi, d + 1), Unsafe.Add(ref kp, (d + 1) * Panel), a1);
                        a2 = MathF.FusedMultiplyAdd(Unsafe.Add(ref qi, d + 2), Unsafe.Add(ref kp, (d + 2) * Panel), a2);
                        a3 = MathF.FusedMultiplyAdd(Unsafe.Add(ref qi, d + 3), Unsafe.Add(ref kp, (d + 3) * Panel), a3);
                    }
                    if (d < headDim) a0 = MathF.FusedMultiplyAdd(Unsafe.Add(ref qi, d), Unsafe.Add(ref kp, d * Panel), a0);
                    if (d + 1 < headDim) a1 = MathF.FusedMultiplyAdd(Unsafe.Add(ref qi, d + 1), Unsafe.Add(ref kp, (d + 1) * Panel), a1);
                    if (d + 2 < headDim) a2 = MathF.FusedMultiplyAdd(Unsafe.Add(ref qi, d + 2), Unsafe.Add(ref kp, (d + 2) * Panel), a2);
                    Unsafe.Add(ref s, i * stride + p * Panel + lane) = (a0 + a1 + (a2 + a3)) * scale;
                }
        }
    }

    // ---- 2. softmax ----

    // Steering offsets on prompt key columns only (columns ≥ offsets.Length are generated tokens); −∞ on the lanes of
    // the first and last panel outside [keyStart, keyEnd), so they never take part. s covers whole panels from panelStart.
    private static void OffsetAndMask(Span<float> s, int panelStart, int keyStart, int keyEnd, float[]? offsets)
    {
        int steeredEnd = Math.Min(keyEnd, offsets?.Length ?? 0);
        if (steeredEnd > keyStart)
        {
            var steered = s.Slice(keyStart - panelStart, steeredEnd - keyStart);
            TensorPrimitives.Add(steered, offsets.AsSpan(keyStart, steeredEnd - keyStart), steered);
        }
        s[..(keyStart - panelStart)].Fill(float.NegativeInfinity);
        s[(keyEnd - panelStart)..].Fill(float.NegativeInfinity);
    }

    /// <summary>
    /// On the panels of one chunk <c>[cs, ce)</c> of one query's logits (row from <paramref name="panelStart"/>, masked lanes −∞):
    /// replaces each logit by exp(z − max) (0 when masked); returns the max and the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once (tier 0 vector code is many times slower)
    private static float Softmax(KernelVariant v, Span<float> row, int panelStart, int cs, int ce, out float sum)
    {
        int first = (cs & ~(Panel - 1)) - panelStart;
        var s = row[first..(((ce + Panel - 1) & ~(Panel - 1)) - panelStart)];
        if (v == KernelVariant.V512)
        {
            ref float s0 = ref s[0];
            var mv = Vector512.Create(float.NegativeInfinity);
            for (int i = 0; i < s.Length; i += Panel) mv = Vector512.Max(mv, Vector512.LoadUnsafe(ref s0, (nuint)i));
            float max = HorizontalMax(mv);
            var m = Vector512.Create(max);
            var acc = Vector512<float>.Zero;
            for (int i = 0; i < s.Length; i += Panel)
            {
                var e = VectorMath.Exp(Vector512.LoadUnsafe(ref s0, (nuint)i) - m);
                e.StoreUnsafe(ref s0, (nuint)i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
            return max;
        }
        if (v == KernelVariant.V256)
        {
            ref float s0 = ref s[0];
            var mv = Vector256.Create(float.NegativeInfinity);
            for (int i = 0; i < s.Length; i += Vector256<float>.Count) mv = Vector256.Max(mv, Vector256.LoadUnsafe(ref s0, (nuint)i));
            float max = float.NegativeInfinity;
            for (int l = 0; l < Vector256<float>.Count; l++) max = Math.Max(max, mv[l]);
            var m = Vector256.Create(max);
            var acc = Vector256<float>.Zero;
            for (int i = 0; i < s.Length; i += Vector256<float>.Count)
            {
                var e = VectorMath.Exp(Vector256.LoadUnsafe(ref s0, (nuint)i) - m);
                e.StoreUnsafe(ref s0, (nuint)i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
            return max;
        }
        float maxS = float.NegativeInfinity;
        foreach (float x in s) maxS = Math.Max(maxS, x);
        float total = 0;
        for (int i = 0; i < s.Length; i++)
        {
            float e = MathF.Exp(s[i] - maxS);
            s[i] = e;
            total += e;
        }
        sum = total;
        return maxS;
    }

    private static float HorizontalMax(Vector512<float> v)
    {
        var h = Vector256.Max(v.GetLower(), v.GetUpper());
        var g = Vector128.Max(h.GetLower(), h.GetUpper());
        float m = Math.Max(g[0], g[1]);
        return Math.Max(m, Math.Max(g[2], g[3]));
    }

    // ---- 3. weighted values ----

    // Key-order accumulation; four output vectors per query at a time (four independent chains), each value row
    // loaded once for every query of the group.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once (tier 0 vector code is many times slower)
    private static void Values512(int m, ref float v, int headDim, int count, ref float e, int stride, ReadOnlySpan<float> invSum, ref float o)
    {
        const int W = 16;
        int d = 0;
        for (; d + 4 * W <= headDim; d += 4 * W)
        {
            switch (m)
            {
                case 1: Values512x4<Count1>(ref Unsafe.Add(ref v, d), headDim, count, ref e, stride, invSum, ref Unsafe.Add(ref o, d)); break;
                case 2: Values512x4<Count2>(ref Unsafe.Add(ref v, d), headDim, count, ref e, stride, invSum, ref Unsafe.Add(ref o, d)); break;
                case 3: Values512x4<Count3>(ref Unsafe.Add(ref v, d), headDim, count, ref e, stride, invSum, ref Unsafe.Add(ref o, d)); break;
                default: Values512x4<Count4>(ref Unsafe.Add(ref v, d), headDim, count, ref e, stride, invSum, ref Unsafe.Add(ref o, d)); break;
            }
        }
        for (; d < headDim; d += W)
            for (int i = 0; i < m; i++)
            {
                ref float ei = ref Unsafe.Add(ref e, i * stride);
                var acc = Vector512<float>.Zero;
                for (int j = 0; j < count; j++)
                    acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v, (nuint)(j * headDim + d)), Vector512.Create(Unsafe.Add(ref ei, j)), acc);
                (acc * invSum[i]).StoreUnsafe(ref o, (nuint)(i * headDim + d));
            }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once (tier 0 vector code is many times slower)
    private static void Values512x4<TM>(ref float v, int headDim, int count, ref float e, int stride, ReadOnlySpan<float> invSum, ref float o)
        where TM : struct, ICount
    {
        int m = TM.Value;
        ref float e1 = ref Unsafe.Add(ref e, m > 1 ? stride : 0);
        ref float e2 = ref Unsafe.Add(ref e, m > 2 ? 2 * stride : 0);
        ref float e3 = ref Unsafe.Add(ref e, m > 3 ? 3 * stride : 0);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        for (int j = 0; j < count; j++)
        {
            nuint r = (nuint)(j * headDim);
            var x0 = Vector512.LoadUnsafe(ref v, r);
            var x1 = Vector512.LoadUnsafe(ref v, r + 16);
            var x2 = Vector512.LoadUnsafe(ref v, r + 32);
            var x3 = Vector512.LoadUnsafe(ref v, r + 48);
            var w = Vector512.Create(Unsafe.Add(ref e, j));
            a0 = Vector512.FusedMultiplyAdd(x0, w, a0);
            a1 = Vector512.FusedMultiplyAdd(x1, w, a1);
            a2 = Vector512.FusedMultiplyAdd(x2, w, a2);
            a3 = Vector512.FusedMultiplyAdd(x3, w, a3);
            if (m > 1)
            {
                w = Vector512.Create(Unsafe.Add(ref e1, j));
                b0 = Vector512.FusedMultiplyAdd(x0, w, b0);
                b1 = Vector512.FusedMultiplyAdd(x1, w, b1);
                b2 = Vector512.FusedMultiplyAdd(x2, w, b2);
                b3 = Vector512.FusedMultiplyAdd(x3, w, b3);
            }
            if (m > 2)
            {
                w = Vector512.Create(Unsafe.Add(ref e2, j));
                c0 = Vector512.FusedMultiplyAdd(x0, w, c0);
                c1 = Vector512.FusedMultiplyAdd(x1, w, c1);
                c2 = Vector512.FusedMultiplyAdd(x2, w, c2);
                c3 = Vector512.FusedMultiplyAdd(x3, w, c3);
            }
            if (m > 3)
            {
                w = Vector512.Create(Unsafe.Add(ref e3, j));
                d0 = Vector512.FusedMultiplyAdd(x0, w, d0);
                d1 = Vector512.FusedMultiplyAdd(x1, w, d1);
                d2 = Vector512.FusedMultiplyAdd(x2, w, d2);
                d3 = Vector512.FusedMultiplyAdd(x3, w, d3);
            }
        }
        var z = Vector512.Create(invSum[0]);
        (a0 * z).StoreUnsafe(ref o, 0);
        (a1 * z).StoreUnsafe(ref o, 16);
        (a2 * z).StoreUnsafe(ref o, 32);
        (a3 * z).StoreUnsafe(ref o, 48);
        if (m > 1)
        {
            z = Vector512.Create(invSum[1]);
            nuint b = (nuint)headDim;
            (b0 * z).StoreUnsafe(ref o, b);
            (b1 * z).StoreUnsafe(ref o, b + 16);
            (b2 * z).StoreUnsafe(ref o, b + 32);
            (b3 * z).StoreUnsafe(ref o, b + 48);
        }
        if (m > 2)
        {
            z = Vector512.Create(invSum[2]);
            nuint b = (nuint)(2 * headDim);
            (c0 * z).StoreUnsafe(ref o, b);
            (c1 * z).StoreUnsafe(ref o, b + 16);
            (c2 * z).StoreUnsafe(ref o, b + 32);
            (c3 * z).StoreUnsafe(ref o, b + 48);
        }
        if (m > 3)
        {
            z = Vector512.Create(invSum[3]);
            nuint b = (nuint)(3 * headDim);
            (d0 * z).StoreUnsafe(ref o, b);
            (d1 * z).StoreUnsafe(ref o, b + 16);
            (d2 * z).StoreUnsafe(ref o, b + 32);
            (d3 * z).StoreUnsafe(ref o, b + 48);
        }
    }

    // Four output vectors per query at a time (four independent chains), in key order.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once (tier 0 vector code is many times slower)
    private static void Values256(int m, ref float v, int headDim, int count, ref float e, int stride, ReadOnlySpan<float> invSum, ref float o)
    {
        const int W = 8;
        int d = 0;
        for (; d + 4 * W <= headDim; d += 4 * W)
            for (int i = 0; i < m; i++)
            {
                ref float ei = ref Unsafe.Add(ref e, i * stride);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int j = 0; j < count; j++)
                {
                    var w = Vector256.Create(Unsafe.Add(ref ei, j));
                    nuint r = (nuint)(j * headDim + d);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, r), w, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, r + W), w, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, r + 2 * W), w, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, r + 3 * W), w, a3);
                }
                var z = Vector256.Create(invSum[i]);
                nuint b = (nuint)(i * headDim + d);
                (a0 * z).StoreUnsafe(ref o, b);
                (a1 * z).StoreUnsafe(ref o, b + W);
                (a2 * z).StoreUnsafe(ref o, b + 2 * W);
                (a3 * z).StoreUnsafe(ref o, b + 3 * W);
            }
        for (; d < headDim; d += W)
            for (int i = 0; i < m; i++)
            {
                ref float ei = ref Unsafe.Add(ref e, i * stride);
                var acc = Vector256<float>.Zero;
                for (int j = 0; j < count; j++)
                    acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v, (nuint)(j * headDim + d)), Vector256.Create(Unsafe.Add(ref ei, j)), acc);
                (acc * invSum[i]).StoreUnsafe(ref o, (nuint)(i * headDim + d));
            }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once (tier 0 vector code is many times slower)
    private static void ValuesScalar(int m, ref float v, int headDim, int count, ref float e, int stride, ReadOnlySpan<float> invSum, ref float o)
    {
        for (int i = 0; i < m; i++)
        {
            ref float ei = ref Unsafe.Add(ref e, i * stride);
            for (int d = 0; d < headDim; d++)
            {
                float acc = 0;
                for (int j = 0; j < count; j++) acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref v, j * headDim + d), Unsafe.Add(ref ei, j), acc);
                Unsafe.Add(ref o, i * headDim + d) = acc * invSum[i];
            }
        }
    }
}
