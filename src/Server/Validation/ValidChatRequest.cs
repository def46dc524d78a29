using System.Text.Json;

namespace SteerServer.Server.Validation;

/// <summary>A chat request after validation: immutable, defaults applied, no raw JSON except the steering object.</summary>
public sealed record ValidChatRequest(
    string Model,
    IReadOnlyList<PromptMessage> Messages,
    int? MaxTokens,
    string MaxTokensParam,
    SamplingSettings Sampling,
    int N,
    IReadOnlyList<string> Stop,
    bool Logprobs,
    int TopLogprobs,
    bool Stream,
    bool IncludeUsage,
    bool ContinuousUsage,
    IReadOnlyDictionary<string, JsonElement>? ChatTemplateKwargs,
    JsonElement Steering);
