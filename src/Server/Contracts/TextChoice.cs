namespace SteerServer.Server.Contracts;

public sealed record TextChoice(string Text, int Index, CompletionLogprobs? Logprobs, string? FinishReason);
