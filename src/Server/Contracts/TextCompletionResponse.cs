using System.ComponentModel;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary><c>/v1/completions</c> response; streamed chunks use the same shape (object stays <c>text_completion</c>).</summary>
public sealed record TextCompletionResponse(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<TextChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("SteerServer extension: the steering that was applied (spans with token ranges and offsets, steered layers and heads); absent when nothing was steered.")] SteeringApplied? SteeringApplied = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("SteerServer extension: the Influence (or Attention Rollout) report, when steering.influence asked for it.")] InfluenceReport? Influence = null)
{
    public string Object => "text_completion";
}
