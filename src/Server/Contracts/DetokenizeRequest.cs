using System.Text.Json;
using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

public sealed class DetokenizeRequest
{
    public string? Model { get; set; }
    public List<int>? Tokens { get; set; }
    /// <summary>Default false: special tokens are kept so the text round-trips.</summary>
    public bool? SkipSpecialTokens { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
