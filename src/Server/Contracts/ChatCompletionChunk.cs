using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary>
/// One SSE event of a streamed chat response. Same id and created on every chunk; the usage chunk has
/// <c>choices: []</c>; <c>usage</c> is omitted on the others.
/// </summary>
public sealed record ChatCompletionChunk(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SteeringApplied? SteeringApplied = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] InfluenceReport? Influence = null)
{
    public string Object => "chat.completion.chunk";
}
