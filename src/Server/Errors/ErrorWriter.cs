using System.Text.Json;
using Microsoft.Extensions.Options;
using SteerServer.Models.Errors;
using SteerServer.Server.Contracts;
using SteerServer.Server.Options;

namespace SteerServer.Server.Errors;

/// <summary>
/// The only writer of <c>{"error":{message,type,param,code}}</c> as an HTTP response. The SSE writer
/// uses <see cref="Serialize"/> for errors after the headers went out, so both share one serializer.
/// </summary>
public sealed class ErrorWriter(IOptions<QueueOptions> queue)
{
    public static byte[] Serialize(ApiError error) =>
        JsonSerializer.SerializeToUtf8Bytes(new ApiErrorBody(error), ApiJsonContext.Default.ApiErrorBody);

    public Task WriteAsync(HttpContext context, SteerException e) =>
        WriteAsync(context, ErrorTable.Map(e.Kind).Status, ErrorTable.ToApiError(e));

    public async Task WriteAsync(HttpContext context, int status, ApiError error)
    {
        var response = context.Response;
        if (response.HasStarted) return; // SSE path reports its own errors
        response.Clear();
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (status == StatusCodes.Status401Unauthorized)
            response.Headers.WWWAuthenticate = "Bearer"; // RFC 9110: a 401 names the scheme it wants
        else if (status == StatusCodes.Status405MethodNotAllowed)
            response.Headers.Allow = AllowedMethods(context); // RFC 9110: a 405 lists what the route accepts
        if (ErrorTable.IsTransient(status))
            response.Headers.RetryAfter = queue.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        else if (status is >= 400 and < 500)
            response.Headers["x-should-retry"] = "false"; // honoured by the Python and npm SDKs
        await response.Body.WriteAsync(Serialize(error), context.RequestAborted);
    }

    /// <summary>The methods of every route whose pattern matches the request path.</summary>
    private static string AllowedMethods(HttpContext context)
    {
        var methods = new SortedSet<string>(StringComparer.Ordinal);
        var path = context.Request.Path;
        foreach (var source in context.RequestServices.GetServices<EndpointDataSource>())
            foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
            {
                if (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } m || endpoint.RoutePattern.RawText is not { } pattern) continue;
                var matcher = new Microsoft.AspNetCore.Routing.Template.TemplateMatcher(
                    Microsoft.AspNetCore.Routing.Template.TemplateParser.Parse(pattern.TrimStart('/')), new RouteValueDictionary());
                if (matcher.TryMatch(path, new RouteValueDictionary())) methods.UnionWith(m.HttpMethods);
            }
        return string.Join(", ", methods);
    }
}
