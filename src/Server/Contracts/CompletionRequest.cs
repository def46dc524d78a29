using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary><c>POST /v1/completions</c> (legacy): the prompt is a string, strings, token ids, or arrays of token ids.</summary>
public sealed class CompletionRequest : IGenerationFields
{
    public string? Model { get; set; }
    [Description("A string, an array of strings, an array of token ids, or an array of arrays of token ids.")]
    public JsonElement? Prompt { get; set; }
    [Description("Default 16.")]
    public int? MaxTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public double? MinP { get; set; }
    public int? N { get; set; }
    public JsonElement? Stop { get; set; }
    public long? Seed { get; set; }
    public double? PresencePenalty { get; set; }
    public double? FrequencyPenalty { get; set; }
    public Dictionary<string, double>? LogitBias { get; set; }
    [Description("0 to 5: the number of most likely tokens returned per position, with the chosen one's logprob.")]
    public int? Logprobs { get; set; }
    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
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

    [Description("SteerServer extension: attention steering; substrings are located in the prompt text.")]
    public JsonElement? Steering { get; set; }

    // Refused when set to anything but their default.
    public bool? Echo { get; set; }
    public int? BestOf { get; set; }
    public string? Suffix { get; set; }

    public string? User { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
