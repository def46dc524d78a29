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
public sealed class ChatCompletionRequest : IGenerationFields
{
    [Description("The model id, as listed by GET /v1/models.")]
    public string? Model { get; set; }

    [Description("The conversation: system/developer, user, assistant and tool messages. Content is a string, an array of text parts, or null on an assistant message with tool_calls.")]
    public List<ChatMessage>? Messages { get; set; }

    public int? MaxTokens { get; set; }
    [Description("Wins over max_tokens. Default: the rest of the context.")]
    public int? MaxCompletionTokens { get; set; }
    [Description("0 to 2; 0 = greedy.")]
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    [Description("vLLM extension: keep the k most likely tokens; -1 or 0 = off.")]
    public int? TopK { get; set; }
    [Description("vLLM extension: drop tokens below min_p × the top probability.")]
    public double? MinP { get; set; }
    public int? N { get; set; }
    [Description("A string or up to 4 strings; the text is cut before the first match, which is never streamed.")]
    public JsonElement? Stop { get; set; }
    public long? Seed { get; set; }
    public double? PresencePenalty { get; set; }
    public double? FrequencyPenalty { get; set; }
    public Dictionary<string, double>? LogitBias { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    [Description("vLLM extension: extra variables for the chat template, e.g. {\"enable_thinking\": false}.")]
    public Dictionary<string, JsonElement>? ChatTemplateKwargs { get; set; }

    [Description("vLLM extension: > 0, 1 = off. A token seen in the prompt or output has its logit divided by it (multiplied when negative).")]
    public double? RepetitionPenalty { get; set; }
    [Description("vLLM extension: keep generating past EOS (stop_token_ids still end the output).")]
    public bool? IgnoreEos { get; set; }
    [Description("vLLM extension: EOS and stop_token_ids cannot end the output before this many tokens.")]
    public int? MinTokens { get; set; }
    [Description("vLLM extension: token ids that end the output (finish_reason \"stop\"; the id is not in the text).")]
    public List<int>? StopTokenIds { get; set; }

    // vLLM / llama.cpp fields this server cannot honour: refused with 400 unsupported_parameter when set.
    public JsonElement? GuidedJson { get; set; }
    public JsonElement? GuidedRegex { get; set; }
    public JsonElement? GuidedChoice { get; set; }
    public JsonElement? GuidedGrammar { get; set; }
    public JsonElement? Grammar { get; set; }
    public JsonElement? JsonSchema { get; set; }
    public bool? UseBeamSearch { get; set; }
    public JsonElement? PromptLogprobs { get; set; }
    public int? BestOf { get; set; }
    public bool? Echo { get; set; }

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

    // OpenAI fields accepted and ignored: they do not change what is generated.
    public string? User { get; set; }
    public JsonElement? Metadata { get; set; }
    public bool? Store { get; set; }
    public string? ServiceTier { get; set; }
    public string? ReasoningEffort { get; set; }
    public string? Verbosity { get; set; }
    public string? PromptCacheKey { get; set; }
    public string? SafetyIdentifier { get; set; }
    public string? PromptCacheRetention { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
