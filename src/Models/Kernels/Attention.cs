using System.Numerics.Tensors;

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
        int keyStart, int keyEnd, float scale, ReadOnlySpan<float> offsets, Span<float> scores, Span<float> output)
    {
        int count = keyEnd - keyStart;
        if (count <= 0 || keyStart < 0 || (long)keyEnd * headDim > keys.Length || (long)keyEnd * headDim > values.Length
            || q.Length < headDim || output.Length < headDim || scores.Length < count)
            throw new ArgumentException("Attention: bad key range or buffer sizes");
        var s = scores[..count];
        var o = output[..headDim];
        q = q[..headDim];

        // 1. logits: scale · q·k_j
        for (int j = 0; j < count; j++)
            s[j] = TensorPrimitives.Dot(q, keys.Slice((keyStart + j) * headDim, headDim));
        TensorPrimitives.Multiply(s, scale, s);

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
        o.Clear();
        for (int j = 0; j < count; j++)
            TensorPrimitives.MultiplyAdd(values.Slice((keyStart + j) * headDim, headDim), s[j], o, o);
    }
}
