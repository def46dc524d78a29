namespace SteerServer.Server.Options;

/// <summary>Section <c>SteerServer:Auth</c>. With no keys the API is open; with keys every <c>/v1</c> route needs one.</summary>
public sealed class AuthOptions
{
    public const string Section = "SteerServer:Auth";

    /// <summary>Accepted bearer keys (environment: <c>SteerServer__Auth__ApiKeys__0</c>, ...).</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Also require a key for <c>/metrics</c> (Prometheus then sends it as a bearer token). Off: scrapers need none.</summary>
    public bool ProtectMetrics { get; set; }
}
