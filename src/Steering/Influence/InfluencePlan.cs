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
    /// <summary>The plan for a span: δ on its columns of every layer and head of a model of that shape.</summary>
    public static InfluencePlan Create(InfluenceMetric metric, IReadOnlyList<TokenRange> ranges, double deltaInfluence,
        int numLayers, int numHeads, int promptLength)
    {
        var plan = new InfluencePlan(metric, ranges, deltaInfluence, null);
        if (deltaInfluence == 0) return plan;
        var offsets = new AttentionOffsets(numLayers, numHeads, promptLength, steerDecode: false);
        float[] indicator = plan.Indicator(promptLength);
        for (int l = 0; l < numLayers; l++)
            for (int h = 0; h < numHeads; h++)
            {
                var row = offsets.GetOrCreate(l, h);
                for (int j = 0; j < promptLength; j++) row[j] = (float)(indicator[j] * deltaInfluence);
            }
        return plan with { PassOffsets = offsets };
    }

    /// <summary>I₋₁ over <c>[0, promptLength)</c>.</summary>
    public float[] Indicator(int promptLength)
    {
        var indicator = new float[promptLength];
        foreach (var r in Ranges)
            for (int j = r.TokenStart; j < r.TokenEnd && j < promptLength; j++) indicator[j] = 1;
        return indicator;
    }
}
