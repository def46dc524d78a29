namespace SteerServer.Server.Errors;

/// <summary>The OpenAI error object: <c>{"message","type","param","code"}</c>; <c>param</c> and <c>code</c> may be null.</summary>
public sealed record ApiError(string Message, string Type, string? Param, string? Code);
