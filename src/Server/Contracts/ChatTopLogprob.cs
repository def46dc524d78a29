namespace SteerServer.Server.Contracts;

public sealed record ChatTopLogprob(string Token, double Logprob, IReadOnlyList<int> Bytes);
