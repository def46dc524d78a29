using System.ComponentModel;
namespace SteerServer.Server.Contracts;

/// <summary><c>influence</c>: the metric name, the prompt token ids, and one row per layer (row 0 is layer −1, the span indicator).</summary>
[Description("`influence`: how much each layer attends to the span, per prompt token.")]
public sealed record InfluenceReport(
    [property: Description("`influence` or `attention_rollout`.")] string Metric,
    [property: Description("The prompt token ids the rows are indexed by.")] IReadOnlyList<int> Tokens,
    [property: Description("One row per layer, one value per prompt token; row 0 is layer −1, the span indicator.")] IReadOnlyList<float[]> Layers);
