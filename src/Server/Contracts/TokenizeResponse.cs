using System.Text.Json.Serialization;

namespace SteerServer.Server.Contracts;

/// <summary>Token ids, their strings, and character offsets as <c>[start, end)</c> in Unicode code points of the tokenized text.</summary>
public sealed record TokenizeResponse(
    IReadOnlyList<int> Tokens,
    IReadOnlyList<string> TokenStrs,
    IReadOnlyList<int[]> Offsets,
    int Count,
    int MaxModelLen,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Prompt = null);
