namespace SteerServer.Steering.Profiling;

/// <summary>What a head is ranked by (<c>--metric</c>).</summary>
public enum ProfileMetric
{
    /// <summary>Mean change of the target's teacher-forced log-likelihood (nats, summed over its tokens).</summary>
    LogProb,

    /// <summary>Mean change of greedy exact-match accuracy on the target; ties broken by the log-likelihood change.</summary>
    Accuracy,
}
