using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary>
/// <c>POST /v1/chat/completions</c> as sent on the wire. Union-typed fields (content, stop, steering...) stay
/// <see cref="JsonElement"/> here; <see cref="Validation.ChatRequestValidator"/> turns the whole body into an
/// immutable request, with a JSON path for every error. Fields this server cannot honour are listed so that
/// they can be refused by name; unknown fields land in <see cref="Extra"/> and are logged.
/// </summary>
public sealed class ChatCompletionRequest : GenerationRequest
{
    [Description("The conversation: system/developer, user, assistant and tool messages. Content is a string, an array of text parts, or null on an assistant message with tool_calls.")]
    public List<ChatMessage>? Messages { get; set; }

    public int? MaxTokens { get; set; }
    [Description("Wins over max_tokens. Default: the rest of the context.")]
    public int? MaxCompletionTokens { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
    [Description("vLLM extension: extra variables for the chat template, e.g. {\"enable_thinking\": false}.")]
    public Dictionary<string, JsonElement>? ChatTemplateKwargs { get; set; }

    [Description("SteerServer extension: attention steering (PASTA substrings, GUIDE tags, Influence). null = the model's default, false = off.")]
    public JsonElement? Steering { get; set; }

    // OpenAI fields this server cannot honour: refused with 400 unsupported_parameter when set.
    public JsonElement? Tools { get; set; }
    public JsonElement? ToolChoice { get; set; }
    public bool? ParallelToolCalls { get; set; }
    public JsonElement? ResponseFormat { get; set; }
    public JsonElement? Functions { get; set; }
    public JsonElement? FunctionCall { get; set; }
    public JsonElement? Audio { get; set; }
    public JsonElement? Modalities { get; set; }
    public JsonElement? Prediction { get; set; }
    public JsonElement? WebSearchOptions { get; set; }

    // OpenAI fields accepted and ignored: they do not change what is generated (user: see GenerationRequest).
    public JsonElement? Metadata { get; set; }
    public bool? Store { get; set; }
    public string? ServiceTier { get; set; }
    public string? ReasoningEffort { get; set; }
    public string? Verbosity { get; set; }
    public string? PromptCacheKey { get; set; }
    public string? SafetyIdentifier { get; set; }
    public string? PromptCacheRetention { get; set; }
}
