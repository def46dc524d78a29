using SteerServer.Models.Inference;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Influence;

/// <summary>
/// What the Influence pass needs: the metric, the span (union of <see cref="Ranges"/>), and the offsets
/// of its one prompt-only forward pass (δ = delta_influence on the span columns of every layer and head;
/// null when δ = 0). The pass runs without the request's PASTA/GUIDE offsets, as in the reference.
/// </summary>
public sealed record InfluencePlan(InfluenceMetric Metric, IReadOnlyList<TokenRange> Ranges, double DeltaInfluence, AttentionOffsets? PassOffsets)
{
    /// <summary>I₋₁ over <c>[0, promptLength)</c>.</summary>
    public float[] Indicator(int promptLength)
    {
        var indicator = new float[promptLength];
        foreach (var r in Ranges)
            for (int j = r.TokenStart; j < r.TokenEnd && j < promptLength; j++) indicator[j] = 1;
        return indicator;
    }
}
