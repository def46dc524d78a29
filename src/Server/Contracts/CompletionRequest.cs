using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary><c>POST /v1/completions</c> (legacy): the prompt is a string, strings, token ids, or arrays of token ids.</summary>
public sealed class CompletionRequest
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
