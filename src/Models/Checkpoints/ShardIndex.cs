using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Checkpoints;

/// <summary><c>model.safetensors.index.json</c>: which shard file holds each tensor.</summary>
public sealed class ShardIndex
{
    public const string FileName = "model.safetensors.index.json";

    private ShardIndex(string path, IReadOnlyDictionary<string, string> weightMap)
    {
        Path = path;
        WeightMap = weightMap;
    }

    public string Path { get; }

    /// <summary>Tensor name → shard file name (relative to the model directory).</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The distinct shard file names, in first-use order.</summary>
    public IReadOnlyList<string> Shards => WeightMap.Values.Distinct(StringComparer.Ordinal).ToList();

    public static ShardIndex Load(string path)
    {
        if (!File.Exists(path)) throw SteerException.InvalidModel(path, "file not found");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw SteerException.InvalidModel(path, "'weight_map' is missing");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                var file = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw SteerException.InvalidModel(path, $"weight_map['{p.Name}'] is not a file name");
                if (file.Contains('/') || file.Contains('\\') || file.Contains(".."))
                    throw SteerException.InvalidModel(path, $"weight_map['{p.Name}'] = '{file}' is not a plain file name");
                result[p.Name] = file;
            }
            return new ShardIndex(path, result);
        }
        catch (JsonException e)
        {
            throw SteerException.InvalidModel(path, $"invalid JSON: {e.Message}", e);
        }
    }
}
