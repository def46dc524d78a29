using System.Text.Json.Nodes;

namespace SteerServer.Steering.Preparation;

/// <summary>
/// A chat prompt as <see cref="PromptPipeline.Chat"/> takes it: the messages as the chat template sees them
/// (<c>role</c>, <c>content</c> and any other fields such as <c>tool_calls</c>; GUIDE tags are looked for in string
/// contents), the tools, the generation prompt switch and extra template variables.
/// </summary>
/// <param name="AddSpecialTokens">null: the pipeline's BOS rule; true/false forces it (<c>/tokenize</c>'s <c>add_special_tokens</c>)</param>
public sealed record ChatInput(
    IReadOnlyList<IReadOnlyDictionary<string, object?>> Messages,
    object? Tools = null,
    bool AddGenerationPrompt = true,
    IReadOnlyDictionary<string, object?>? TemplateKwargs = null,
    bool? AddSpecialTokens = null)
{
    /// <summary>One user message (<c>generate --chat</c>).</summary>
    public static ChatInput User(string content) => new([new Dictionary<string, object?> { ["role"] = "user", ["content"] = content }]);

    /// <summary>Messages given as JSON objects (a profile task line); string contents become strings, other fields stay JSON.</summary>
    public static ChatInput FromJson(JsonArray messages) => new(
        [.. messages.Select(m => (IReadOnlyDictionary<string, object?>)(m as JsonObject ?? [])
            .ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : (object?)kv.Value?.DeepClone()))]);

    /// <summary>Message i's content when it is a string (where GUIDE tags can be).</summary>
    internal string? ContentOf(int i) => Messages[i].TryGetValue("content", out var c) ? c as string : null;
}
