namespace SteerServer.Server.Contracts;

/// <summary><c>influence</c>: the metric name, the prompt tokens, and one row per layer (row 0 is layer −1, the span indicator).</summary>
public sealed record InfluenceReport(string Metric, IReadOnlyList<string> Tokens, IReadOnlyList<IReadOnlyList<double>> Layers);
