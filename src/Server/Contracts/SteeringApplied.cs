using System.ComponentModel;
namespace SteerServer.Server.Contracts;

/// <summary><c>steering_applied</c>: the spans that were steered and how many layers/heads PASTA touched.</summary>
[Description("`steering_applied`: what the server steered for this request.")]
public sealed record SteeringApplied(
    [property: Description("Every steered span, PASTA substrings and GUIDE tags alike.")] IReadOnlyList<SteeredSpan> Spans,
    [property: Description("Layers PASTA steered (0 with GUIDE only).")] int Layers,
    [property: Description("Query heads PASTA steered, over all layers.")] int Heads);
