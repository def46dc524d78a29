using SteerServer.Server.Contracts;
using SteerServer.Steering;
using SteerServer.Steering.Influence;

namespace SteerServer.Server.Endpoints;

/// <summary>Maps the steering library's reports onto the response contracts.</summary>
public static class ResponseExtensions
{
    public static SteeringApplied? ToApplied(this SteeringPlan plan) =>
        plan.IsEmpty ? null : new SteeringApplied(
            [.. plan.Report.Spans.Select(s => new SteeredSpan(s.Text, s.Source, s.TokenStart, s.TokenEnd, s.Offset))],
            plan.Report.Layers, plan.Report.Heads);

    public static InfluenceReport? ToReport(this InfluenceResult? result) =>
        result is null ? null : new InfluenceReport(result.MetricName, result.Tokens, result.Layers);

    /// <summary>The completion id: the prefix and the request id (the response's <c>X-Request-Id</c>), so either finds the other in the logs.</summary>
    public static string CompletionId(string prefix, HttpContext context) => prefix + context.TraceIdentifier;

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
