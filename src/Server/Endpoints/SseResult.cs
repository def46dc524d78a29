using Microsoft.AspNetCore.Http.Metadata;
using SteerServer.Server.Streaming;

namespace SteerServer.Server.Endpoints;

/// <summary>
/// A streamed (<c>text/event-stream</c>) outcome for typed results: everything that can fail before the first
/// byte has already failed in the handler, so once this runs the status is 200 and errors travel in-stream.
/// </summary>
public sealed class SseResult(Func<SseWriter, CancellationToken, Task> write) : IResult, IEndpointMetadataProvider
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var writer = await SseWriter.StartAsync(httpContext);
        await write(writer, httpContext.RequestAborted);
    }

    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/event-stream"]));
}
