namespace SteerServer.Server.Contracts;

public sealed record DetokenizeResponse(string Prompt);
