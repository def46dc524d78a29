using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary><c>POST /v1/completions</c> (legacy): the prompt is a string, strings, token ids, or arrays of token ids.</summary>
public sealed class CompletionRequest : GenerationRequest
{
    [Description("A string, an array of strings, an array of token ids, or an array of arrays of token ids.")]
    public JsonElement? Prompt { get; set; }
    [Description("Default 16.")]
    public int? MaxTokens { get; set; }
    [Description("0 to 5: the number of most likely tokens returned per position, with the chosen one's logprob.")]
    public int? Logprobs { get; set; }

    [Description("SteerServer extension: attention steering; substrings are located in the prompt text.")]
    public JsonElement? Steering { get; set; }

    // Refused when set (insertion is not supported).
    public string? Suffix { get; set; }
}
