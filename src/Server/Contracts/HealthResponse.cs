namespace SteerServer.Server.Contracts;

/// <summary><c>GET /health</c>: <c>ok</c> (200), or <c>loading</c> / <c>draining</c> / <c>failed</c> (503).</summary>
public sealed record HealthResponse(string Status, string? Model);
