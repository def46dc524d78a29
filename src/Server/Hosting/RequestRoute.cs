namespace SteerServer.Server.Hosting;

/// <summary>The route label of a request for logs and metrics: the endpoint's pattern, not the raw path (bounded cardinality).</summary>
public static class RequestRoute
{
    public static string Of(HttpContext context) => (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
}
