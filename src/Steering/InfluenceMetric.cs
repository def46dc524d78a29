namespace SteerServer.Steering;

/// <summary>The metric of the <c>influence</c> field (steering-methods.md §2.5).</summary>
public enum InfluenceMetric
{
    /// <summary>GUIDE's Influence: norm-weighted mix of the residual and attention paths.</summary>
    Influence,
    /// <summary>Attention Rollout: I_l = ½(I_{l−1} + Ā_l·I_{l−1}).</summary>
    AttentionRollout,
}
