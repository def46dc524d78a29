using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SteerServer.Models.Errors;
using SteerServer.Server.Errors;

namespace SteerServer.Server.Endpoints;

/// <summary>
/// Reads a JSON body with the source-generated contract. Any content type is accepted (curl's <c>-d</c> sends
/// form encoding); bad JSON and wrong value types become 400s naming the field. Unknown fields are logged.
/// </summary>
public static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, ILogger logger) where T : class
    {
        T? value;
        try
        {
            value = await JsonSerializer.DeserializeAsync(context.Request.Body, typeInfo, context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw RequestErrors.FromJson(e);
        }
        if (value is null)
            throw SteerException.InvalidRequest("The request body must be a JSON object, got null.", null, "invalid_json");
        return value;
    }

    /// <summary>Fields that are neither OpenAI's nor ours are ignored, as vLLM does, but never silently: they are logged.</summary>
    public static void LogIgnored(ILogger logger, HttpContext context, Dictionary<string, JsonElement>? extra)
    {
        if (extra is { Count: > 0 })
            logger.LogInformation("{RequestId}: ignored unknown request fields: {Fields}", context.TraceIdentifier, string.Join(", ", extra.Keys));
    }
}
