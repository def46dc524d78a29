using System.Text.Json;

namespace SteerServer.Server.Validation;

/// <summary>
/// A legacy completion request after validation. Each prompt is text or token ids (exactly one is non-null);
/// <see cref="Logprobs"/> is null when not asked, else the number of alternatives (0–5).
/// </summary>
public sealed record ValidCompletionRequest(
    string Model,
    IReadOnlyList<CompletionPrompt> Prompts,
    int MaxTokens,
    SamplingSettings Sampling,
    int N,
    IReadOnlyList<string> Stop,
    int? Logprobs,
    bool Stream,
    bool IncludeUsage,
    bool ContinuousUsage,
    JsonElement Steering);
