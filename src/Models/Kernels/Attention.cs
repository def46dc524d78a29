using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// Scaled dot-product attention of one query row and one head over a KV-cache block, in f32:
/// <c>out = Σ_j softmax_j(scale · q·k_j + offset_j) · v_j</c> over the visible keys
/// <c>keyStart ≤ j &lt; keyEnd</c> (causal and sliding-window masking are expressed by that range; masked cells
/// are simply never computed). <c>offset_j</c> is the steering hook: added to key columns
/// <c>j &lt; offsets.Length</c> (the prompt), none when <paramref name="offsets"/> is empty (no cost then).
/// </summary>
public static class Attention
{
    /// <param name="q">[headDim] query (RoPE applied).</param>
    /// <param name="keys">[capacity * headDim] this KV head's keys, position-major.</param>
    /// <param name="values">[capacity * headDim] this KV head's values, position-major.</param>
    /// <param name="offsets">[promptLength] additive logit offsets for prompt key columns, or empty.</param>
    /// <param name="scores">scratch of at least keyEnd − keyStart; holds the probabilities afterwards (for capture).</param>
    /// <param name="output">[headDim] result.</param>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int headDim,
        int keyStart, int keyEnd, float scale, ReadOnlySpan<float> offsets, Span<float> scores, Span<float> output) =>
        Forward(q, keys, values, headDim, keyStart, keyEnd, scale, offsets, scores, output, KernelVariant.Auto);

    /// <summary>As above, with the kernel width forced by <paramref name="variant"/> (tests and benchmarks).</summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int headDim,
        int keyStart, int keyEnd, float scale, ReadOnlySpan<float> offsets, Span<float> scores, Span<float> output, KernelVariant variant)
    {
        int count = keyEnd - keyStart;
        if (count <= 0 || keyStart < 0 || (long)keyEnd * headDim > keys.Length || (long)keyEnd * headDim > values.Length
            || q.Length < headDim || output.Length < headDim || scores.Length < count)
            throw new ArgumentException("Attention: bad key range or buffer sizes");
        var s = scores[..count];
        var o = output[..headDim];
        q = q[..headDim];

        // Vector paths need whole vectors per head (head_dim is 64 or 128 in practice); others use the reference path.
        var v = KernelDispatch.Resolve(variant);
        if (v == KernelVariant.V512 && headDim % Vector512<float>.Count != 0) v = KernelVariant.V256;
        if (v == KernelVariant.V256 && headDim % Vector256<float>.Count != 0) v = KernelVariant.Scalar;

        // The cache block is usually cold (a decode step streams all weights between two layers' attention):
        // ask for all of it at once, so the loads below wait on memory bandwidth, not on one miss at a time.
        Prefetch(keys.Slice(keyStart * headDim, count * headDim));
        Prefetch(values.Slice(keyStart * headDim, count * headDim));

        // 1. logits: scale · q·k_j
        if (v == KernelVariant.V512) Scores512(q, keys, headDim, keyStart, scale, s);
        else if (v == KernelVariant.V256) Scores256(q, keys, headDim, keyStart, scale, s);
        else
        {
            for (int j = 0; j < count; j++)
                s[j] = TensorPrimitives.Dot(q, keys.Slice((keyStart + j) * headDim, headDim));
            TensorPrimitives.Multiply(s, scale, s);
        }

        // 2. steering offsets on prompt key columns only (columns ≥ offsets.Length are generated tokens)
        int steeredEnd = Math.Min(keyEnd, offsets.Length);
        if (steeredEnd > keyStart)
        {
            var steered = s[..(steeredEnd - keyStart)];
            TensorPrimitives.Add(steered, offsets[keyStart..steeredEnd], steered);
        }

        // 3. softmax in f32, max-subtracted
        float max = TensorPrimitives.Max(s);
        TensorPrimitives.Subtract(s, max, s);
        TensorPrimitives.Exp(s, s);
        float sum = TensorPrimitives.Sum(s);
        TensorPrimitives.Multiply(s, 1f / sum, s);

        // 4. weighted sum of values, in key order (fixed summation order)
        if (v == KernelVariant.V512) Values512(values, headDim, keyStart, s, o);
        else if (v == KernelVariant.V256) Values256(values, headDim, keyStart, s, o);
        else
        {
            o.Clear();
            for (int j = 0; j < count; j++)
                TensorPrimitives.MultiplyAdd(values.Slice((keyStart + j) * headDim, headDim), s[j], o, o);
        }
    }

    private static unsafe void Prefetch(ReadOnlySpan<float> block)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (float* p = block)
            for (int i = 0; i < block.Length; i += 16) System.Runtime.Intrinsics.X86.Sse.Prefetch0(p + i);
    }

    // headDim is a multiple of the width (checked by the caller): no tails. Inlined loops instead of one
    // TensorPrimitives call per key, which dominated prefill attention for head_dim 64.
    private static void Scores512(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, int headDim, int keyStart, float scale, Span<float> s)
    {
        ref float q0 = ref Unsafe.AsRef(in q[0]);
        ref float k0 = ref Unsafe.AsRef(in keys[keyStart * headDim]);
        for (int j = 0; j < s.Length; j++)
        {
            var acc = Vector512<float>.Zero;
            nuint kb = (nuint)(j * headDim);
            for (int d = 0; d < headDim; d += Vector512<float>.Count)
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref q0, (nuint)d), Vector512.LoadUnsafe(ref k0, kb + (nuint)d), acc);
            s[j] = Vector512.Sum(acc) * scale;
        }
    }

    private static void Scores256(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, int headDim, int keyStart, float scale, Span<float> s)
    {
        ref float q0 = ref Unsafe.AsRef(in q[0]);
        ref float k0 = ref Unsafe.AsRef(in keys[keyStart * headDim]);
        for (int j = 0; j < s.Length; j++)
        {
            var acc = Vector256<float>.Zero;
            nuint kb = (nuint)(j * headDim);
            for (int d = 0; d < headDim; d += Vector256<float>.Count)
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q0, (nuint)d), Vector256.LoadUnsafe(ref k0, kb + (nuint)d), acc);
            s[j] = Vector256.Sum(acc) * scale;
        }
    }

    // One output vector at a time stays in a register across all keys.
    private static void Values512(ReadOnlySpan<float> values, int headDim, int keyStart, ReadOnlySpan<float> p, Span<float> o)
    {
        ref float v0 = ref Unsafe.AsRef(in values[keyStart * headDim]);
        ref float o0 = ref o[0];
        for (int d = 0; d < headDim; d += Vector512<float>.Count)
        {
            var acc = Vector512<float>.Zero;
            for (int j = 0; j < p.Length; j++)
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref v0, (nuint)(j * headDim + d)), Vector512.Create(p[j]), acc);
            acc.StoreUnsafe(ref o0, (nuint)d);
        }
    }

    private static void Values256(ReadOnlySpan<float> values, int headDim, int keyStart, ReadOnlySpan<float> p, Span<float> o)
    {
        ref float v0 = ref Unsafe.AsRef(in values[keyStart * headDim]);
        ref float o0 = ref o[0];
        for (int d = 0; d < headDim; d += Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            for (int j = 0; j < p.Length; j++)
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v0, (nuint)(j * headDim + d)), Vector256.Create(p[j]), acc);
            acc.StoreUnsafe(ref o0, (nuint)d);
        }
    }
}
