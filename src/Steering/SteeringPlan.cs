using SteerServer.Models.Inference;
using SteerServer.Steering.Influence;

namespace SteerServer.Steering;

/// <summary>
/// Everything one request's steering needs at run time, built once per request by
/// <see cref="SteeringPlanner"/>: the offsets handed to the engine for the prefill and (unless
/// <c>steer_decode</c> is false) every decode step, the report for the response, and the Influence pass.
/// </summary>
public sealed class SteeringPlan
{
    public SteeringPlan(AttentionOffsets? offsets, SteeringReport report, InfluencePlan? influence)
    {
        Offsets = offsets;
        Report = report;
        Influence = influence;
    }

    /// <summary>No steering: nothing to apply, nothing to report.</summary>
    public static SteeringPlan None { get; } = new(null, SteeringReport.Empty, null);

    /// <summary>The offsets for <c>IModelBackend.Forward</c>/<c>DecodeBatch</c>; null when no head gets a non-zero offset.</summary>
    public AttentionOffsets? Offsets { get; }

    /// <summary><c>steering_applied</c>.</summary>
    public SteeringReport Report { get; }

    /// <summary>Non-null when the request asked for <c>influence</c>.</summary>
    public InfluencePlan? Influence { get; }

    /// <summary>True when there is nothing to report (no span, no Influence): the server omits <c>steering_applied</c>.</summary>
    public bool IsEmpty => Report.Spans.Count == 0 && Influence is null && Offsets is null;
}
