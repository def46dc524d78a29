using SteerServer.Models.Errors;
using SteerServer.Models.Inference;

namespace SteerServer.Steering.Influence;

/// <summary>
/// The Influence pass: one extra prompt-only forward with δ on the span (every layer and head), the
/// δ-modified stream feeding later layers, capturing per-layer attention statistics, then the recurrence.
/// </summary>
public static class InfluenceRunner
{
    /// <summary>The capture holds numLayers·T² floats; beyond this many the request is refused (≈ 1 GiB).</summary>
    public const long MaxCaptureFloats = 1L << 28;

    /// <summary>Throws a 400 naming <c>steering.influence</c> when the prompt is too long for the capture.</summary>
    public static void CheckSize(int numLayers, int promptLength)
    {
        if ((long)numLayers * promptLength * promptLength > MaxCaptureFloats)
            throw SteerException.InvalidRequest(
                $"Invalid 'steering.influence': the prompt has {promptLength} tokens; the Influence pass keeps a {promptLength}×{promptLength} attention matrix per layer ({numLayers} layers), which is over this server's limit of {MaxCaptureFloats} values.",
                "steering.influence");
    }

    public static InfluenceResult Run(IModelBackend backend, InfluencePlan plan, ReadOnlySpan<int> promptIds)
    {
        int numLayers = backend.Config.NumHiddenLayers;
        int promptLength = promptIds.Length;
        CheckSize(numLayers, promptLength);
        var capture = new AttentionCapture(numLayers, promptLength);
        var cache = backend.CreateCache(promptLength);
        backend.Run([new BatchItem(cache, promptIds.ToArray(), plan.PassOffsets, LogitsMode.None, capture)], []);
        return Compute(plan, promptIds, capture);
    }

    /// <summary>The metric from a capture of the pass (filled by <see cref="Run"/> or by the server's scheduler).</summary>
    public static InfluenceResult Compute(InfluencePlan plan, ReadOnlySpan<int> promptIds, AttentionCapture capture)
    {
        var layers = InfluenceCalculator.Compute(plan.Metric, plan.Indicator(promptIds.Length), capture.AvgAttention, capture.InputNormL1, capture.OutputNormL1);
        return new InfluenceResult(plan.Metric, promptIds.ToArray(), layers);
    }
}
