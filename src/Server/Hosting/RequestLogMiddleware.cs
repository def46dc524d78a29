using System.Diagnostics;
using SteerServer.Server.Observability;

namespace SteerServer.Server.Hosting;

/// <summary>
/// One structured line per request (id, route, status, model, tokens, timings, steering) and the request
/// counter. Prompt text never appears here; <c>SteerServer:Logging:LogPrompts</c> enables it at Debug level elsewhere.
/// </summary>
public sealed class RequestLogMiddleware(RequestDelegate next, ILogger<RequestLogMiddleware> logger, ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            int status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
            metrics.Request(route, status);
            if (context.Items[typeof(RequestLog)] is RequestLog log)
                logger.LogInformation(
                    "{RequestId} {Method} {Route} {Status} model={Model} stream={Stream} steered={Steered} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} finish={FinishReason} ttft_ms={TtftMs} elapsed_ms={ElapsedMs}",
                    context.TraceIdentifier, context.Request.Method, route, status, log.Model, log.Stream, log.Steered, log.PromptTokens, log.CompletionTokens,
                    log.FinishReason, log.TimeToFirstTokenMs is { } t ? Math.Round(t, 1) : null, Math.Round(elapsed.TotalMilliseconds, 1));
            else if (route != "/health" && route != "/metrics")
                logger.LogInformation("{RequestId} {Method} {Route} {Status} elapsed_ms={ElapsedMs}",
                    context.TraceIdentifier, context.Request.Method, route, status, Math.Round(elapsed.TotalMilliseconds, 1));
        }
    }
}
