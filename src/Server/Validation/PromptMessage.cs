using System.Text.Json;

namespace SteerServer.Server.Validation;

/// <summary>One validated chat message: <c>developer</c> is already <c>system</c>, text parts already joined.</summary>
public sealed record PromptMessage(string Role, string? Content, string? Name = null, JsonElement? ToolCalls = null, string? ToolCallId = null);
