using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Steering;

/// <summary>
/// PASTA's <c>head_config</c>: which layers and query heads are steered. Two forms (steering-methods.md
/// §1.3.1): an object <c>{"layer": [heads]}</c> (keys are strings of digits) or an array <c>[layers]</c>
/// (every head of each layer; entries may be integers or strings of digits). Each entry keeps its JSON
/// path so a layer or head outside the model is reported as e.g. <c>steering.head_config.12[3]</c>.
/// Duplicated heads and layers count once.
/// </summary>
public sealed class HeadConfig
{
    private readonly Entry[] entries;

    private HeadConfig(Entry[] entries, string path)
    {
        this.entries = entries;
        Path = path;
    }

    /// <summary>JSON path of the whole value, e.g. <c>steering.head_config</c>.</summary>
    public string Path { get; }

    /// <summary>Every head of each of <paramref name="layers"/> (the list form).</summary>
    public static HeadConfig AllHeadsOf(IEnumerable<int> layers, string path = "steering.head_config") =>
        new([.. layers.Select((l, i) => new Entry(l, JsonPaths.Index(path, i), null, null))], path);

    /// <summary>Parses a configuration string such as <c>{"10":[0,3]}</c> or <c>[10,11]</c> (a server default).</summary>
    public static HeadConfig Parse(string json, string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException ex) { throw JsonPaths.Invalid(path, "not valid JSON: " + ex.Message); }
        using (doc) return Parse(doc.RootElement, path);
    }

    public static HeadConfig Parse(JsonElement e, string path)
    {
        var list = new List<Entry>();
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var prop in e.EnumerateObject())
                {
                    string layerPath = JsonPaths.Property(path, prop.Name);
                    if (!JsonPaths.TryParseIndex(prop.Name, out int layer))
                        throw JsonPaths.Invalid(layerPath, $"layer keys must be non-negative integers, got \"{prop.Name}\".");
                    if (prop.Value.ValueKind != JsonValueKind.Array)
                        throw JsonPaths.Invalid(layerPath, $"expected an array of head indices, got {JsonPaths.Kind(prop.Value.ValueKind)}.");
                    var heads = new List<int>();
                    var headPaths = new List<string>();
                    int i = 0;
                    foreach (var h in prop.Value.EnumerateArray())
                    {
                        string headPath = JsonPaths.Index(layerPath, i++);
                        heads.Add(JsonPaths.Index(h, headPath, "a head index", allowString: false));
                        headPaths.Add(headPath);
                    }
                    list.Add(new Entry(layer, layerPath, [.. heads], [.. headPaths]));
                }
                break;
            case JsonValueKind.Array:
                {
                    int i = 0;
                    foreach (var l in e.EnumerateArray())
                    {
                        string layerPath = JsonPaths.Index(path, i++);
                        list.Add(new Entry(JsonPaths.Index(l, layerPath, "a layer index", allowString: true), layerPath, null, null));
                    }
                    break;
                }
            default:
                throw JsonPaths.Invalid(path, $"expected an object {{\"layer\": [heads]}} or an array of layers, got {JsonPaths.Kind(e.ValueKind)}.");
        }
        return new HeadConfig([.. list], path);
    }

    /// <summary>Throws a 400 naming the first layer or head outside the model, with the model's limits.</summary>
    public void Validate(SteeringLimits limits) => _ = Resolve(limits);

    /// <summary>The validated head set: layer → sorted distinct query heads (layers sorted; empty head lists dropped).</summary>
    public SortedDictionary<int, int[]> Resolve(SteeringLimits limits)
    {
        var sets = new SortedDictionary<int, SortedSet<int>>();
        foreach (var entry in entries)
        {
            if (entry.Layer >= limits.NumLayers)
                throw SteerException.InvalidRequest(
                    $"Invalid '{entry.LayerPath}': layer {entry.Layer} is out of range; the model has {limits.NumLayers} layers (0..{limits.NumLayers - 1}).",
                    entry.LayerPath);
            if (!sets.TryGetValue(entry.Layer, out var set)) sets[entry.Layer] = set = [];
            if (entry.Heads is null)
            {
                for (int h = 0; h < limits.NumHeads; h++) set.Add(h);
                continue;
            }
            for (int i = 0; i < entry.Heads.Length; i++)
            {
                int head = entry.Heads[i];
                if (head >= limits.NumHeads)
                    throw SteerException.InvalidRequest(
                        $"Invalid '{entry.HeadPaths![i]}': head {head} is out of range; the model has {limits.NumHeads} attention (query) heads per layer (0..{limits.NumHeads - 1}).",
                        entry.HeadPaths[i]);
                set.Add(head);
            }
        }
        var resolved = new SortedDictionary<int, int[]>();
        foreach (var (layer, set) in sets)
            if (set.Count > 0) resolved[layer] = [.. set];
        return resolved;
    }

    /// <param name="Heads">null = every head of the layer (list form).</param>
    private sealed record Entry(int Layer, string LayerPath, int[]? Heads, string[]? HeadPaths);
}
