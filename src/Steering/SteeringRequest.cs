using System.Text.Json.Nodes;
using System.Text.Json;

namespace SteerServer.Steering;

/// <summary>
/// The validated <c>steering</c> object of a request (API.md, "The steering object"). Immutable.
/// <see cref="Parse(JsonElement, SteeringLimits?, string)"/> turns the raw field into this and reports
/// every bad value as a 400 whose <c>param</c> is the JSON path (<c>steering.alpha</c>,
/// <c>steering.substrings[1]</c>, <c>steering.head_config.12[3]</c>).
/// </summary>
public sealed record SteeringRequest
{
    /// <summary>The defaults of every field: no PASTA spans; GUIDE tags in the messages still apply.</summary>
    public static SteeringRequest Default { get; } = new();

    /// <summary><c>"steering": false</c>: nothing is applied and GUIDE tags stay in the text as typed.</summary>
    public static SteeringRequest Disabled { get; } = new() { IsDisabled = true };

    public bool IsDisabled { get; init; }

    /// <summary>PASTA spans, in request order. A duplicated substring counts twice (k counts it twice).</summary>
    public IReadOnlyList<string> Substrings { get; init; } = [];

    /// <summary>
    /// PASTA spans given as prompt token ranges <c>[start, end)</c> instead of text (token-id prompts, benchmarks);
    /// steered like substrings, checked against the prompt length when planned.
    /// </summary>
    public IReadOnlyList<Spans.TokenRange> TokenSpans { get; init; } = [];

    /// <summary>null: the model's configured default (<see cref="SteeringLimits.DefaultHeadConfig"/>).</summary>
    public HeadConfig? HeadConfig { get; init; }

    /// <summary>PASTA α (&gt; 0, finite), applied as the logit offset ln α.</summary>
    public double Alpha { get; init; } = 0.01;

    public ScalePosition ScalePosition { get; init; } = ScalePosition.Exclude;

    /// <summary>GUIDE <c>delta_mid</c>: levels 1, 2, 3 add delta/2, delta, 2·delta.</summary>
    public double Delta { get; init; } = 1.0;

    /// <summary>null: no Influence metric is computed.</summary>
    public InfluenceMetric? Influence { get; init; }

    /// <summary>δ on the span columns during the Influence forward pass.</summary>
    public double DeltaInfluence { get; init; }

    /// <summary>false: offsets apply in the prefill only, not at decode steps.</summary>
    public bool SteerDecode { get; init; } = true;

    private static readonly string[] KnownFields =
        ["substrings", "token_spans", "head_config", "alpha", "scale_position", "delta", "influence", "delta_influence", "steer_decode"];

    /// <summary>
    /// Parses the raw <c>steering</c> field. Returns null when it is absent (<c>default(JsonElement)</c>)
    /// or JSON null: the caller then uses the model's configured default (or <see cref="Default"/>).
    /// When <paramref name="limits"/> is given, <c>head_config</c> is checked against the model at once.
    /// </summary>
    public static SteeringRequest? Parse(JsonElement element, SteeringLimits? limits = null, string path = "steering")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined:
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.False:
                return Disabled;
            case JsonValueKind.Object:
                break;
            default:
                throw JsonPaths.Invalid(path, $"expected an object, false or null, got {JsonPaths.Kind(element.ValueKind)}.");
        }

        var request = new SteeringRequest();
        foreach (var prop in element.EnumerateObject())
        {
            string p = JsonPaths.Property(path, prop.Name);
            JsonElement v = prop.Value;
            switch (prop.Name)
            {
                case "substrings":
                    request = request with { Substrings = ParseSubstrings(v, p) };
                    break;
                case "token_spans":
                    request = request with { TokenSpans = ParseTokenSpans(v, p) };
                    break;
                case "head_config":
                    // null means "the model's default", like an absent field.
                    request = request with { HeadConfig = v.ValueKind == JsonValueKind.Null ? null : HeadConfig.Parse(v, p) };
                    break;
                case "alpha":
                    double alpha = JsonPaths.FiniteNumber(v, p);
                    if (!(alpha > 0))
                        throw JsonPaths.Invalid(p, $"alpha must be greater than 0 (it is applied as ln(alpha)), got {v.GetRawText()}.");
                    request = request with { Alpha = alpha };
                    break;
                case "scale_position":
                    request = request with { ScalePosition = ParseScalePosition(v, p) };
                    break;
                case "delta":
                    request = request with { Delta = JsonPaths.FiniteNumber(v, p) };
                    break;
                case "influence":
                    request = request with { Influence = ParseInfluence(v, p) };
                    break;
                case "delta_influence":
                    request = request with { DeltaInfluence = JsonPaths.FiniteNumber(v, p) };
                    break;
                case "steer_decode":
                    request = request with { SteerDecode = JsonPaths.Boolean(v, p) };
                    break;
                default:
                    // A typo such as "substring" must not silently turn steering off.
                    throw JsonPaths.Invalid(p, $"unknown steering field; expected one of {string.Join(", ", KnownFields)}.");
            }
        }
        if (limits is not null) request.HeadConfig?.Validate(limits);
        return request;
    }

    /// <summary>Same as <see cref="Parse(JsonElement, SteeringLimits?, string)"/> for a <see cref="JsonNode"/> (null = JSON null or absent).</summary>
    public static SteeringRequest? Parse(JsonNode? node, SteeringLimits? limits = null, string path = "steering") =>
        node is null ? null : Parse(JsonSerializer.SerializeToElement(node), limits, path);

    /// <summary>Parses a JSON text (the CLI's <c>--steering</c>).</summary>
    public static SteeringRequest? Parse(string json, SteeringLimits? limits = null, string path = "steering")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException ex) { throw JsonPaths.Invalid(path, "not valid JSON: " + ex.Message); }
        using (doc) return Parse(doc.RootElement, limits, path);
    }

    private static string[] ParseSubstrings(JsonElement v, string path)
    {
        if (v.ValueKind == JsonValueKind.String)
            return [CheckSubstring(v.GetString()!, path)];
        if (v.ValueKind == JsonValueKind.Null)
            return [];
        if (v.ValueKind != JsonValueKind.Array)
            throw JsonPaths.Invalid(path, $"expected a string or an array of strings, got {JsonPaths.Kind(v.ValueKind)}.");
        var list = new List<string>();
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            string p = JsonPaths.Index(path, i++);
            if (item.ValueKind != JsonValueKind.String)
                throw JsonPaths.Invalid(p, $"expected a string, got {JsonPaths.Kind(item.ValueKind)}.");
            list.Add(CheckSubstring(item.GetString()!, p));
        }
        return [.. list];
    }

    private static Spans.TokenRange[] ParseTokenSpans(JsonElement v, string path)
    {
        if (v.ValueKind == JsonValueKind.Null) return [];
        if (v.ValueKind != JsonValueKind.Array)
            throw JsonPaths.Invalid(path, $"expected an array of [start, end] token ranges, got {JsonPaths.Kind(v.ValueKind)}.");
        var list = new List<Spans.TokenRange>();
        int i = 0;
        foreach (var pair in v.EnumerateArray())
        {
            string p = JsonPaths.Index(path, i++);
            if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                || !pair[0].TryGetInt32(out int start) || !pair[1].TryGetInt32(out int end))
                throw JsonPaths.Invalid(p, $"expected [start, end] (two integers), got {pair.GetRawText()}.");
            if (start < 0 || end <= start)
                throw JsonPaths.Invalid(p, $"expected 0 <= start < end, got [{start}, {end}].");
            list.Add(new Spans.TokenRange(start, end));
        }
        return [.. list];
    }

    // pastalib would steer the BOS token for "" (edge case E3); an empty span has no meaning, so refuse it.
    private static string CheckSubstring(string s, string path) =>
        s.Length > 0 ? s : throw JsonPaths.Invalid(path, "a substring must not be empty.");

    private static ScalePosition ParseScalePosition(JsonElement v, string path) =>
        (v.ValueKind == JsonValueKind.String ? v.GetString() : null) switch
        {
            "exclude" => ScalePosition.Exclude,
            "include" => ScalePosition.Include,
            "generation" => ScalePosition.Generation,
            _ => throw JsonPaths.Invalid(path, $"expected \"exclude\", \"include\" or \"generation\", got {v.GetRawText()}."),
        };

    private static InfluenceMetric? ParseInfluence(JsonElement v, string path) =>
        v.ValueKind == JsonValueKind.Null ? null :
        (v.ValueKind == JsonValueKind.String ? v.GetString() : null) switch
        {
            "influence" => InfluenceMetric.Influence,
            "attention_rollout" => InfluenceMetric.AttentionRollout,
            _ => throw JsonPaths.Invalid(path, $"expected \"influence\", \"attention_rollout\" or null, got {v.GetRawText()}."),
        };
}
