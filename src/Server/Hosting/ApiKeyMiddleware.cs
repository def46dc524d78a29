using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SteerServer.Models.Errors;
using SteerServer.Server.Errors;
using SteerServer.Server.Options;

namespace SteerServer.Server.Hosting;

/// <summary>
/// When API keys are configured, <c>/v1/*</c>, <c>/tokenize</c> and <c>/detokenize</c> need
/// <c>Authorization: Bearer &lt;key&gt;</c>, and so does <c>/metrics</c> with <c>SteerServer:Auth:ProtectMetrics</c>;
/// <c>/health</c> and Swagger stay open.
/// Keys are compared as SHA-256 digests with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither
/// the content nor the length of a key leaks through timing.
/// </summary>
public sealed class ApiKeyMiddleware
{
    private readonly RequestDelegate next;
    private readonly byte[][] keyDigests;
    private readonly bool protectMetrics;

    public ApiKeyMiddleware(RequestDelegate next, IOptions<AuthOptions> options)
    {
        this.next = next;
        protectMetrics = options.Value.ProtectMetrics;
        keyDigests = options.Value.ApiKeys.Where(k => !string.IsNullOrEmpty(k)).Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))).ToArray();
    }

    public async Task InvokeAsync(HttpContext context, ErrorWriter errors)
    {
        if (keyDigests.Length == 0 || !IsProtected(context.Request.Path) || Authorized(context.Request.Headers.Authorization.ToString()))
        {
            await next(context);
            return;
        }
        bool missing = context.Request.Headers.Authorization.Count == 0;
        await errors.WriteAsync(context, new SteerException(ErrorKind.Unauthorized,
            missing ? "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'." : "Incorrect API key provided.",
            null, "invalid_api_key"));
    }

    private bool IsProtected(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/tokenize") || path.StartsWithSegments("/detokenize")
        || (protectMetrics && path.StartsWithSegments("/metrics"));

    private bool Authorized(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        bool ok = false;
        foreach (var key in keyDigests)
            ok |= CryptographicOperations.FixedTimeEquals(digest, key); // no early exit: every key is compared
        return ok;
    }
}
