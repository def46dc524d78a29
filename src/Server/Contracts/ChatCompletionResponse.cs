using System.ComponentModel;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary>Non-streaming chat response. <c>steering_applied</c>/<c>influence</c> are top-level extension keys (SDKs keep unknown keys).</summary>
public sealed record ChatCompletionResponse(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<ChatChoice> Choices,
    Usage Usage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("SteerServer extension: the steering that was applied (spans with token ranges and offsets, steered layers and heads); absent when nothing was steered.")] SteeringApplied? SteeringApplied = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("SteerServer extension: the Influence (or Attention Rollout) report, when steering.influence asked for it.")] InfluenceReport? Influence = null)
{
    public string Object => "chat.completion";
}
