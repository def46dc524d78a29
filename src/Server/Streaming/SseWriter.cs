using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;
using SteerServer.Server.Errors;

namespace SteerServer.Server.Streaming;

/// <summary>
/// Server-sent events as OpenAI streams them: one <c>data: &lt;json&gt;</c> line plus a blank line per event,
/// one flush per event, <c>data: [DONE]</c> at the end. Headers keep proxies from buffering
/// (<c>X-Accel-Buffering: no</c>) and caches from storing (<c>Cache-Control: no-cache</c>).
/// </summary>
public sealed class SseWriter
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    private readonly HttpResponse response;
    private readonly ArrayBufferWriter<byte> buffer = new(1024);
    private readonly Utf8JsonWriter json;

    private SseWriter(HttpResponse response)
    {
        this.response = response;
        json = new Utf8JsonWriter(buffer);
    }

    /// <summary>Sends the 200 and the SSE headers. After this, errors can only be reported in-stream.</summary>
    public static async Task<SseWriter> StartAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(context.RequestAborted);
        return new SseWriter(response);
    }

    public Task WriteAsync<T>(T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        buffer.Write(DataPrefix);
        json.Reset(buffer);
        JsonSerializer.Serialize(json, value, typeInfo);
        json.Flush();
        buffer.Write(EventEnd);
        return SendAsync(buffer.WrittenMemory, cancellationToken);
    }

    /// <summary>An error after the headers went out: <c>data: {"error":{...}}</c>; the caller then sends <c>[DONE]</c>.</summary>
    public Task WriteErrorAsync(ApiError error, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        buffer.Write(DataPrefix);
        buffer.Write(ErrorWriter.Serialize(error));
        buffer.Write(EventEnd);
        return SendAsync(buffer.WrittenMemory, cancellationToken);
    }

    public Task WriteDoneAsync(CancellationToken cancellationToken) => SendAsync(Done, cancellationToken);

    private async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(bytes, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
