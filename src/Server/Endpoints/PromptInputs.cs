using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Server.Hosting;
using SteerServer.Server.Validation;
using SteerServer.Steering.Preparation;

namespace SteerServer.Server.Endpoints;

/// <summary>Validated requests → the <see cref="PromptPipeline"/>'s inputs.</summary>
public static class PromptInputs
{
    /// <summary>The messages as the chat template sees them (<c>tool_calls</c> and kwargs as JSON).</summary>
    public static ChatInput Chat(IReadOnlyList<PromptMessage> messages, IReadOnlyDictionary<string, JsonElement>? kwargs,
        bool addGenerationPrompt = true, bool? addSpecialTokens = null)
    {
        var list = new List<IReadOnlyDictionary<string, object?>>(messages.Count);
        foreach (var m in messages)
        {
            var d = new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content };
            if (m.Name is not null) d["name"] = m.Name;
            if (m.ToolCalls is { } calls) d["tool_calls"] = JsonNode.Parse(calls.GetRawText());
            if (m.ToolCallId is not null) d["tool_call_id"] = m.ToolCallId;
            list.Add(d);
        }
        var extra = kwargs?.ToDictionary(kv => kv.Key, kv => (object?)JsonNode.Parse(kv.Value.GetRawText()));
        return new ChatInput(list, null, addGenerationPrompt, extra, addSpecialTokens);
    }
}
