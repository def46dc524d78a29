using SteerServer.Models.Errors;
using SteerServer.Server.Errors;
using SteerServer.Server.Streaming;

namespace SteerServer.Server.Endpoints;

/// <summary>
/// Errors after the SSE headers went out: the client leaving is a counted cancellation and nothing more; any
/// other error goes to the client as <c>data: {"error":{...}}</c> followed by <c>data: [DONE]</c>.
/// </summary>
public static class StreamErrors
{
    public static async Task HandleAsync(Exception e, SseWriter writer, GenerationRun run, GenerationServices services, HttpContext context)
    {
        var ct = context.RequestAborted;
        if (ct.IsCancellationRequested || e is OperationCanceledException && ct.IsCancellationRequested)
        {
            run.CountCancellation();
            return;
        }
        ApiError error;
        if (e is SteerException se)
            error = ErrorTable.ToApiError(se);
        else
        {
            services.Logger.LogError(e, "{RequestId}: streaming failed", context.TraceIdentifier);
            error = ErrorTable.Internal(context.TraceIdentifier);
        }
        try
        {
            await writer.WriteErrorAsync(error, ct);
            await writer.WriteDoneAsync(ct);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            run.CountCancellation();
        }
        catch (IOException)
        {
            run.CountCancellation();
        }
    }
}
