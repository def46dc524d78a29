namespace SteerServer.Server.Contracts;

/// <summary><c>finish_reason</c> is written as an explicit null until the final chunk of the choice.</summary>
public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);
