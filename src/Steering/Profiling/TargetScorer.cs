using System.Numerics.Tensors;

namespace SteerServer.Steering.Profiling;

/// <summary>Log-probability and greedy agreement of target tokens from raw logits rows.</summary>
internal static class TargetScorer
{
    /// <summary>log softmax(<paramref name="logits"/>)[<paramref name="token"/>], in double.</summary>
    public static double LogProb(ReadOnlySpan<float> logits, int token)
    {
        float max = TensorPrimitives.Max(logits);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        return logits[token] - max - Math.Log(sum);
    }

    /// <summary>True when <paramref name="token"/> is the greedy choice (first maximum, like argmax).</summary>
    public static bool IsArgMax(ReadOnlySpan<float> logits, int token) => TensorPrimitives.IndexOfMax(logits) == token;
}
