namespace SteerServer.Server.Contracts;

/// <summary><c>influence</c>: the metric name, the prompt token ids, and one row per layer (row 0 is layer −1, the span indicator).</summary>
public sealed record InfluenceReport(string Metric, IReadOnlyList<int> Tokens, IReadOnlyList<float[]> Layers);
