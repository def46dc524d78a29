namespace SteerServer.Server.Contracts;

/// <summary><c>steering_applied</c>: the spans that were steered and how many layers/heads PASTA touched.</summary>
public sealed record SteeringApplied(IReadOnlyList<SteeredSpan> Spans, int Layers, int Heads);
