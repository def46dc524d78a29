using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary><c>/v1/completions</c> response; streamed chunks use the same shape (object stays <c>text_completion</c>).</summary>
public sealed record TextCompletionResponse(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<TextChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SteeringApplied? SteeringApplied = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] InfluenceReport? Influence = null)
{
    public string Object => "text_completion";
}
