namespace SteerServer.Server.Contracts;

/// <summary><c>{token, logprob, bytes, top_logprobs}</c>; <c>bytes</c> lets clients rebuild characters split across tokens.</summary>
public sealed record ChatTokenLogprob(string Token, double Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);
