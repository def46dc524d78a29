namespace SteerServer.Server.Errors;

/// <summary>The OpenAI error envelope <c>{"error": {...}}</c>, also sent as an SSE event after headers went out.</summary>
public sealed record ApiErrorBody(ApiError Error);
