namespace SteerServer.Server.Contracts;

public sealed record TopLogprob(string Token, double Logprob, IReadOnlyList<int> Bytes);
