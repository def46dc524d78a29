using System.Text.Json;

namespace SteerServer.Server.Contracts;

/// <summary>
/// The sampling fields chat and legacy completions share, including vLLM's extensions, and the vLLM fields this
/// server refuses by name; one validator reads both requests through this.
/// </summary>
public interface IGenerationFields
{
    double? Temperature { get; }
    double? TopP { get; }
    int? TopK { get; }
    double? MinP { get; }
    long? Seed { get; }
    double? PresencePenalty { get; }
    double? FrequencyPenalty { get; }
    Dictionary<string, double>? LogitBias { get; }
    double? RepetitionPenalty { get; }
    bool? IgnoreEos { get; }
    int? MinTokens { get; }
    List<int>? StopTokenIds { get; }
    StreamOptions? StreamOptions { get; }

    // vLLM / llama.cpp fields this server cannot honour (no constrained decoding, no beam search, no prompt logprobs).
    JsonElement? GuidedJson { get; }
    JsonElement? GuidedRegex { get; }
    JsonElement? GuidedChoice { get; }
    JsonElement? GuidedGrammar { get; }
    JsonElement? Grammar { get; }
    JsonElement? JsonSchema { get; }
    bool? UseBeamSearch { get; }
    JsonElement? PromptLogprobs { get; }
}
