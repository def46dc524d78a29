using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using SteerServer.Models.Errors;

namespace SteerServer.Server.Errors;

/// <summary>
/// Turns exceptions escaping an endpoint into OpenAI error bodies. <see cref="SteerException"/> keeps its
/// kind; framework input errors (bad JSON, bad body) are 400; everything else is logged with the request id
/// and answered as a generic 500.
/// </summary>
public sealed class SteerExceptionHandler(ErrorWriter writer, ILogger<SteerExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        // The exception middleware clears the endpoint before calling handlers; put it back so the request log and
        // the metrics see the real route instead of "unmatched".
        if (context.GetEndpoint() is null && context.Features.Get<IExceptionHandlerFeature>()?.Endpoint is { } endpoint)
            context.SetEndpoint(endpoint);
        switch (exception)
        {
            case SteerException e:
                if (e.Kind is ErrorKind.Internal or ErrorKind.InvalidModel)
                    logger.LogError(e, "Request {RequestId} failed", context.TraceIdentifier);
                await writer.WriteAsync(context, e);
                return true;
            case BadHttpRequestException { InnerException: JsonException json }:
                await writer.WriteAsync(context, RequestErrors.FromJson(json));
                return true;
            case JsonException json:
                await writer.WriteAsync(context, RequestErrors.FromJson(json));
                return true;
            case BadHttpRequestException bad:
                await writer.WriteAsync(context, bad.StatusCode, new ApiError(bad.Message, "invalid_request_error", null, null));
                return true;
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                return true; // the client left; nothing to answer
            default:
                logger.LogError(exception, "Request {RequestId} failed", context.TraceIdentifier);
                await writer.WriteAsync(context, StatusCodes.Status500InternalServerError, ErrorTable.Internal(context.TraceIdentifier));
                return true;
        }
    }
}
