namespace SteerServer.Server.Validation;

/// <summary>One prompt of <c>/v1/completions</c>: text (tokenized with BOS as the tokenizer adds it) or token ids as given.</summary>
public sealed record CompletionPrompt(string? Text, IReadOnlyList<int>? TokenIds);
