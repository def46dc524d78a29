using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SteerServer.Models.Errors;
using SteerServer.Server.Errors;
using SteerServer.Server.Validation;

namespace SteerServer.Server.Endpoints;

/// <summary>
/// Reads a JSON body with the source-generated contract. Any content type is accepted (curl's <c>-d</c> sends
/// form encoding); invalid Unicode, bad JSON and wrong value types become 400s naming the field. The body is
/// read whole (Kestrel's <c>MaxRequestBodySize</c> bounds it) so that <see cref="JsonTextGuard"/> sees every
/// string before anything converts one. Unknown fields are logged, escaped.
/// </summary>
public static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, ILogger logger) where T : class
    {
        using var buffer = new MemoryStream(context.Request.ContentLength is > 0 and < int.MaxValue ? (int)context.Request.ContentLength.Value : 4096);
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        JsonTextGuard.Validate(bytes.Span);
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(bytes.Span, typeInfo);
        }
        catch (JsonException e)
        {
            throw RequestErrors.FromJson(e);
        }
        if (value is null)
            throw SteerException.InvalidRequest("The request body must be a JSON object, got null.", null, "invalid_json");
        return value;
    }

    /// <summary>
    /// Fields that are neither OpenAI's nor ours are ignored, as vLLM does, but never silently: they are logged.
    /// The names come from the client, so they are JSON-escaped (no forged log lines) and capped in length and number.
    /// </summary>
    public static void LogIgnored(ILogger logger, HttpContext context, Dictionary<string, JsonElement>? extra)
    {
        if (extra is not { Count: > 0 }) return;
        const int maxFields = 16;
        var names = extra.Keys.Take(maxFields).Select(k => LogText.Escape(k));
        var more = extra.Count > maxFields ? $" and {extra.Count - maxFields} more" : "";
        logger.LogInformation("{RequestId}: ignored unknown request fields: {Fields}{More}", context.TraceIdentifier, string.Join(", ", names), more);
    }
}
