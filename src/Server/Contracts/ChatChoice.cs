namespace SteerServer.Server.Contracts;

/// <summary>One choice of a non-streaming chat response; <c>finish_reason</c> is never null here.</summary>
public sealed record ChatChoice(int Index, AssistantMessage Message, ChatLogprobs? Logprobs, string FinishReason);
