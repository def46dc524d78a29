using System.Text.Json;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary><c>POST /tokenize</c>: either <c>prompt</c> (raw text) or <c>messages</c> (rendered with the chat template first).</summary>
public sealed class TokenizeRequest
{
    public string? Model { get; set; }
    public string? Prompt { get; set; }
    public List<ChatMessage>? Messages { get; set; }
    /// <summary>Default true (messages only).</summary>
    public bool? AddGenerationPrompt { get; set; }
    /// <summary>Default true for a prompt (BOS is added as the tokenizer says); the template decides for messages.</summary>
    public bool? AddSpecialTokens { get; set; }
    public Dictionary<string, JsonElement>? ChatTemplateKwargs { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
