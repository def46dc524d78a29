namespace SteerServer.Steering.Profiling;

/// <summary>A task's examples under one head set: mean target log-likelihood and exact-match rate.</summary>
public readonly record struct HeadSetScore(double LogProb, double Accuracy);
