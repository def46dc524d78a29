namespace SteerServer.Steering.Profiling;

/// <summary>One head's effect on one task when steered alone.</summary>
/// <param name="Score">what the ranking sorts by (<see cref="ProfileMetric"/>): one of the two deltas</param>
public sealed record HeadScore(int Layer, int Head, double Score, double LogProbDelta, double AccuracyDelta);
