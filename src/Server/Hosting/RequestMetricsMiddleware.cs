using SteerServer.Server.Observability;

namespace SteerServer.Server.Hosting;

/// <summary>Counts every request by route and the status the client finally gets (499: it left before any answer).</summary>
public sealed class RequestMetricsMiddleware(RequestDelegate next, ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        finally
        {
            int status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
            metrics.Request(RequestRoute.Of(context), status);
        }
    }
}
