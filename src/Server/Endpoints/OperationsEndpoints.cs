using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SteerServer.Server.Contracts;
using SteerServer.Server.Hosting;
using SteerServer.Server.Options;

namespace SteerServer.Server.Endpoints;

/// <summary><c>GET /health</c> (200 ready; 503 + Retry-After while loading, draining or failed) and <c>GET /metrics</c> (Prometheus text).</summary>
public static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Operations");
        api.MapGet("/health", Health).WithName("Health").WithSummary("Readiness and liveness: 200 when the model is loaded and the server accepts requests");
        // OpenTelemetry's exporter (Observability/Telemetry): a plain request delegate, so not in the OpenAPI document.
        api.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    public static Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>> Health(ModelHost host, HttpContext context, IOptions<QueueOptions> queue)
    {
        var state = host.State;
        var body = new HealthResponse(state.ToString().ToLowerInvariant(), host.Name);
        if (state == ModelState.Ready) return TypedResults.Ok(body);
        context.Response.Headers.RetryAfter = queue.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Json(body, ApiJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
