namespace SteerServer.Server.Contracts;

/// <summary>Legacy logprobs: parallel arrays; <c>text_offset</c> in UTF-16 units of the choice text, as OpenAI counts them.</summary>
public sealed record CompletionLogprobs(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<double> TokenLogprobs,
    IReadOnlyList<Dictionary<string, double>> TopLogprobs,
    IReadOnlyList<int> TextOffset);
