using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary>First chunk <c>{"role":"assistant","content":""}</c>, then <c>{"content":"..."}</c>, final <c>{}</c>.</summary>
public sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content = null);
