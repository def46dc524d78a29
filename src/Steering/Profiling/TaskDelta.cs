namespace SteerServer.Steering.Profiling;

/// <summary>How steering one head changes one task, averaged over its examples.</summary>
/// <param name="LogProbDelta">mean change of the target log-likelihood (nats)</param>
/// <param name="AccuracyDelta">change of the greedy exact-match rate (fraction of examples)</param>
public readonly record struct TaskDelta(double LogProbDelta, double AccuracyDelta);
