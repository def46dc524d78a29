namespace SteerServer.Models.Generation;

/// <summary>
/// What one sequence produced since its last update: new text (whole characters only, stop strings cut), the
/// tokens that text came from (with logprobs), and on the last update the finish reason and token counts.
/// </summary>
public sealed record SequenceUpdate(
    int Index,
    string Text,
    IReadOnlyList<SampledToken> Tokens,
    SequenceFinish? Finish = null,
    int PromptTokens = 0,
    int CompletionTokens = 0,
    Exception? Error = null);
