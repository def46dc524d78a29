using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary>
/// The fields chat and legacy completions share: model, sampling (OpenAI's and vLLM's extensions), stop, streaming,
/// and the vLLM fields this server refuses by name. One validator reads both requests through this.
/// </summary>
public abstract class GenerationRequest
{
    [Description("The model id, as listed by GET /v1/models.")]
    public string? Model { get; set; }

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
    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }

    [Description("vLLM extension: > 0 and ≤ 2, 1 = off. A token seen in the prompt or output has its logit divided by it (multiplied when negative).")]
    public double? RepetitionPenalty { get; set; }
    [Description("vLLM extension: keep generating past EOS (stop_token_ids still end the output).")]
    public bool? IgnoreEos { get; set; }
    [Description("vLLM extension: EOS and stop_token_ids cannot end the output before this many tokens.")]
    public int? MinTokens { get; set; }
    [Description("vLLM extension: token ids that end the output (finish_reason \"stop\"; the id is not in the text).")]
    public List<int>? StopTokenIds { get; set; }

    // vLLM / llama.cpp fields this server cannot honour (no constrained decoding, beam search or prompt logprobs):
    // refused with 400 unsupported_parameter when set to anything but their default.
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

    // Accepted and ignored: it does not change what is generated.
    public string? User { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
