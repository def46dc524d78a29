namespace SteerServer.Steering.Profiling;

/// <summary>One example under one steering setting.</summary>
/// <param name="LogProb">teacher-forced log-likelihood of the target, summed over its tokens (nats)</param>
/// <param name="Correct">true when greedy decoding reproduces every target token</param>
public readonly record struct ExampleMeasurement(double LogProb, bool Correct);
