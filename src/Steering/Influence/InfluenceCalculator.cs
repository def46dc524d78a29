namespace SteerServer.Steering.Influence;

/// <summary>
/// The Influence and Attention Rollout recurrences of steering-methods.md §2.5, exactly as the reference
/// code (and golden/README.md) computes them, including its off-by-one: the residual-side norm of layer l
/// is that of X_{l−1} (X_0 for l = 0 and 1). Computed in double from float captures.
/// </summary>
public static class InfluenceCalculator
{
    /// <summary>
    /// Returns L + 1 vectors of length T: index 0 is layer −1 (the span indicator), index l + 1 is layer l.
    /// </summary>
    /// <param name="indicator">I₋₁: 1 on span positions, 0 elsewhere; length T</param>
    /// <param name="avgAttention">per layer, Ā_l as [T, T] row-major (row i = query i), post-softmax, mean over query heads</param>
    /// <param name="inputNormL1">per layer, row-wise L1 norm of X_l (attention input after the input RMSNorm), [T]</param>
    /// <param name="outputNormL1">per layer, row-wise L1 norm of O_l (attention output after o_proj), [T]</param>
    public static float[][] Compute(InfluenceMetric metric, ReadOnlySpan<float> indicator,
                                    IReadOnlyList<float[]> avgAttention, IReadOnlyList<float[]> inputNormL1, IReadOnlyList<float[]> outputNormL1)
    {
        int seqLen = indicator.Length;
        int numLayers = avgAttention.Count;
        if (metric == InfluenceMetric.Influence && (inputNormL1.Count != numLayers || outputNormL1.Count != numLayers))
            throw new ArgumentException($"influence needs {numLayers} input and output norm vectors, got {inputNormL1.Count} and {outputNormL1.Count}");
        var result = new float[numLayers + 1][];
        var prev = new double[seqLen];
        for (int t = 0; t < seqLen; t++) prev[t] = indicator[t];
        result[0] = indicator.ToArray();
        var next = new double[seqLen];
        for (int l = 0; l < numLayers; l++)
        {
            float[] attn = avgAttention[l];
            if (attn.Length < seqLen * seqLen)
                throw new ArgumentException($"layer {l}: attention has {attn.Length} values, expected {seqLen * seqLen}");
            // The residual-side norm: E_{l-1} = X_0 for l = 0 (E_-1 = X_0) and X_{l-1} after (the reference's off-by-one).
            float[]? nu = metric == InfluenceMetric.Influence ? inputNormL1[Math.Max(l - 1, 0)] : null;
            float[]? mu = metric == InfluenceMetric.Influence ? outputNormL1[l] : null;
            for (int t = 0; t < seqLen; t++)
            {
                double a = 0;
                int rowBase = t * seqLen;
                for (int u = 0; u < seqLen; u++) a += attn[rowBase + u] * prev[u];
                if (metric == InfluenceMetric.AttentionRollout)
                    next[t] = (prev[t] + a) / 2;
                else
                {
                    double n = nu![t], m = mu![t];
                    next[t] = (n * prev[t] + m * a) / (n + m);
                }
            }
            (prev, next) = (next, prev);
            var row = new float[seqLen];
            for (int t = 0; t < seqLen; t++) row[t] = (float)prev[t];
            result[l + 1] = row;
        }
        return result;
    }
}
