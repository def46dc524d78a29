using System.Globalization;
using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Server.Validation;

/// <summary>Range checks that name the parameter; never clamp or repair a value.</summary>
internal static class Check
{
    public static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static double Range(double? value, double fallback, double min, double max, string param, bool minExclusive = false)
    {
        if (value is not { } v) return fallback;
        if (double.IsNaN(v) || v < min || v > max || (minExclusive && v == min))
            throw SteerException.InvalidRequest(
                $"Invalid '{param}': {F(v)} is not in {(minExclusive ? "(" : "[")}{F(min)}, {F(max)}].", param);
        return v;
    }

    public static int Range(int? value, int fallback, int min, int max, string param)
    {
        if (value is not { } v) return fallback;
        if (v < min || v > max)
            throw SteerException.InvalidRequest($"Invalid '{param}': {v} is not in [{min}, {max}].", param);
        return v;
    }

    public static int? Positive(int? value, string param) =>
        value is { } v && v < 1 ? throw SteerException.InvalidRequest($"Invalid '{param}': {v} must be at least 1.", param) : value;

    public static IReadOnlyList<string> Stop(JsonElement? stop)
    {
        if (stop is not { } s || s.ValueKind == JsonValueKind.Null) return [];
        if (s.ValueKind == JsonValueKind.String)
            return [NonEmpty(s.GetString()!, "stop")];
        if (s.ValueKind != JsonValueKind.Array)
            throw SteerException.InvalidRequest($"Invalid type for 'stop': expected a string or an array of strings, got {Kind(s)}.", "stop", "invalid_type");
        var list = new List<string>();
        int i = 0;
        foreach (var item in s.EnumerateArray())
        {
            var p = $"stop[{i++}]";
            if (item.ValueKind != JsonValueKind.String)
                throw SteerException.InvalidRequest($"Invalid type for '{p}': expected a string, got {Kind(item)}.", p, "invalid_type");
            list.Add(NonEmpty(item.GetString()!, p));
        }
        if (list.Count > 4)
            throw SteerException.InvalidRequest($"Invalid 'stop': at most 4 stop sequences are allowed, got {list.Count}.", "stop");
        return list;
    }

    public static IReadOnlyDictionary<int, float>? LogitBias(Dictionary<string, double>? bias)
    {
        if (bias is null || bias.Count == 0) return null;
        var result = new Dictionary<int, float>(bias.Count);
        foreach (var (key, value) in bias)
        {
            var p = $"logit_bias.{key}";
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw SteerException.InvalidRequest($"Invalid 'logit_bias': key '{key}' is not a token id.", p);
            if (double.IsNaN(value) || value < -100 || value > 100)
                throw SteerException.InvalidRequest($"Invalid '{p}': {F(value)} is not in [-100, 100].", p);
            result[id] = (float)value;
        }
        return result;
    }

    /// <summary>
    /// <c>stream_options</c> only makes sense with <c>stream: true</c> (OpenAI refuses it otherwise too): include_usage,
    /// and vLLM's continuous_usage_stats (usage on every chunk; only with include_usage, as vLLM).
    /// </summary>
    public static (bool IncludeUsage, bool ContinuousUsage) Usage(bool stream, Contracts.StreamOptions? options)
    {
        if (options is null) return (false, false);
        if (!stream)
            throw SteerException.InvalidRequest("'stream_options' is only allowed when 'stream' is true.", "stream_options");
        bool include = options.IncludeUsage ?? false;
        return (include, include && (options.ContinuousUsageStats ?? false));
    }

    /// <summary>Token ids (non-negative; the vocabulary bound is checked with the model).</summary>
    public static IReadOnlyList<int> TokenIds(List<int>? ids, string param)
    {
        if (ids is null) return [];
        for (int i = 0; i < ids.Count; i++)
            if (ids[i] < 0) throw SteerException.InvalidRequest($"Invalid '{param}[{i}]': {ids[i]} is not a token id.", $"{param}[{i}]");
        return ids;
    }

    public static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static bool IsSet(JsonElement? e) => e is { } v && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    private static string NonEmpty(string s, string param) =>
        s.Length > 0 ? s : throw SteerException.InvalidRequest($"Invalid '{param}': a stop sequence must not be empty.", param);
}
