namespace SteerServer.Server.Validation;

/// <summary>Validated sampling fields of a request, with OpenAI's defaults filled in. Temperature 0 = greedy.</summary>
public sealed record SamplingSettings(
    double Temperature,
    double TopP,
    int TopK,
    double MinP,
    long? Seed,
    double PresencePenalty,
    double FrequencyPenalty,
    IReadOnlyDictionary<int, float>? LogitBias,
    double RepetitionPenalty,
    bool IgnoreEos,
    int MinTokens,
    IReadOnlyList<int> StopTokenIds);
