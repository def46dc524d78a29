using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Server.Errors;

/// <summary>Builds 400s for request bodies that are not valid JSON or hold a value of the wrong type.</summary>
public static class RequestErrors
{
    /// <summary>
    /// System.Text.Json reports the failing member as a JSON path (<c>$.messages[0].content</c>); that path,
    /// without <c>$.</c>, is the OpenAI <c>param</c>.
    /// </summary>
    public static SteerException FromJson(JsonException e)
    {
        var param = ToParam(e.Path);
        // A string that is not valid Unicode ("Cannot transcode invalid UTF-8 ...", "... invalid UTF-16 ..."); JsonTextGuard catches these first.
        if (e.InnerException is InvalidOperationException { Message: var m } && m.Contains("invalid UTF", StringComparison.Ordinal))
            return SteerException.InvalidRequest($"Invalid '{param ?? "body"}': the string is not valid Unicode text.", param, "invalid_unicode");
        bool syntax = e.InnerException?.GetType().Name == "JsonReaderException" || e.GetType().Name == "JsonReaderException";
        if (syntax || !e.Message.Contains("could not be converted", StringComparison.Ordinal))
            return SteerException.InvalidRequest( // a syntax error belongs to the body, not to a parameter
                param is null ? $"The request body is not valid JSON: {Trim(e.Message)}." : $"The request body is not valid JSON near '{param}': {Trim(e.Message)}.",
                null, "invalid_json");
        var expected = Expected(e.Message);
        return SteerException.InvalidRequest($"Invalid type for '{param ?? "body"}': expected {expected}.", param, "invalid_type");
    }

    public static string? ToParam(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$") return null;
        var p = jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
        return p.Length == 0 ? null : p;
    }

    // "The JSON value could not be converted to System.Nullable`1[System.Double]. Path: ..." → "a number".
    private static string Expected(string message)
    {
        var start = message.IndexOf("converted to ", StringComparison.Ordinal);
        var type = start < 0 ? "" : message[(start + 13)..];
        var cut = type.IndexOf(". Path:", StringComparison.Ordinal);
        if (cut >= 0) type = type[..cut];
        if (type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal)) return "a number";
        if (type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal)) return "an integer";
        if (type.Contains("Boolean", StringComparison.Ordinal)) return "a boolean";
        if (type.StartsWith("System.Collections.Generic.List", StringComparison.Ordinal) || type.EndsWith("[]", StringComparison.Ordinal)) return "an array";
        if (type == "System.String") return "a string";
        return "an object";
    }

    // The framework message ends with "Path: $.x | LineNumber: 0 | BytePositionInLine: 12."; the param already says where.
    private static string Trim(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}
