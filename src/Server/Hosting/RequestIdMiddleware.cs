using System.Buffers;

namespace SteerServer.Server.Hosting;

/// <summary>
/// Gives every request an id: the client's <c>X-Request-Id</c> when it is a plain token (1-128 of
/// <c>A-Z a-z 0-9 . _ : -</c>, as proxies and tracing tools send), else a fresh one, so nothing odd reaches the logs.
/// The id becomes <see cref="HttpContext.TraceIdentifier"/> (error messages and logs), the completion id's suffix,
/// and the response's <c>X-Request-Id</c> header.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string Header = "X-Request-Id";
    private const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    public async Task InvokeAsync(HttpContext context)
    {
        var id = Accept(context.Request.Headers[Header].ToString()) ?? Guid.NewGuid().ToString("N");
        context.TraceIdentifier = id;
        // On starting, not now: the exception handler clears the headers of a failed response.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[Header] = id;
            return Task.CompletedTask;
        });
        // Overrides the RequestId of ASP.NET Core's own scope (Kestrel's connection-based id) in every event of this request.
        using (logger.BeginScope(new KeyValuePair<string, object>[] { new("RequestId", id) }))
            await next(context);
    }

    internal static string? Accept(string header) =>
        header.Length is > 0 and <= MaxLength && !header.AsSpan().ContainsAnyExcept(Allowed) ? header : null;
}
