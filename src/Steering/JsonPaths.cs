using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Steering;

/// <summary>Typed reads from a <see cref="JsonElement"/> that fail with a 400 naming the JSON path.</summary>
internal static class JsonPaths
{
    public static string Property(string path, string name) => path + "." + name;

    public static string Index(string path, int index) => path + "[" + index + "]";

    public static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "missing",
    };

    public static SteerException Invalid(string path, string problem) =>
        SteerException.InvalidRequest($"Invalid '{path}': {problem}", path);

    /// <summary>A finite JSON number.</summary>
    public static double FiniteNumber(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Number)
            throw Invalid(path, $"expected a number, got {Kind(e.ValueKind)}.");
        if (!e.TryGetDouble(out double value) || !double.IsFinite(value))
            throw Invalid(path, $"the number {e.GetRawText()} is not finite.");
        return value;
    }

    public static bool Boolean(JsonElement e, string path) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Invalid(path, $"expected a boolean, got {Kind(e.ValueKind)}."),
    };

    /// <summary>A non-negative index given as a JSON integer or, where allowed, a string of digits.</summary>
    public static int Index(JsonElement e, string path, string what, bool allowString)
    {
        if (e.ValueKind == JsonValueKind.Number)
        {
            if (e.TryGetInt32(out int value) && value >= 0) return value;
            throw Invalid(path, $"{what} must be a non-negative integer, got {e.GetRawText()}.");
        }
        if (allowString && e.ValueKind == JsonValueKind.String)
        {
            string s = e.GetString()!;
            if (TryParseIndex(s, out int value)) return value;
            throw Invalid(path, $"{what} must be a non-negative integer, got \"{s}\".");
        }
        throw Invalid(path, $"{what} must be an integer, got {Kind(e.ValueKind)}.");
    }

    /// <summary>Digits only (no sign, no spaces), fits in an int.</summary>
    public static bool TryParseIndex(string s, out int value) =>
        int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
}
