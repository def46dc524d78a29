using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Checkpoints;

/// <summary>
/// Immutable record of a model directory's <c>config.json</c> (property names mirror its keys), with
/// BOS/EOS completed from <c>generation_config.json</c>. Derived values (<see cref="HeadDim"/>,
/// <see cref="KvGroups"/>) are computed here once.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>First entry of <c>architectures</c>, e.g. <c>LlamaForCausalLM</c>.</summary>
    public required string Architecture { get; init; }
    /// <summary><c>model_type</c>, e.g. <c>llama</c>, <c>mistral</c>, <c>qwen2</c>, <c>qwen3</c>.</summary>
    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    /// <summary><c>head_dim</c> when present (Qwen3 declares one ≠ hidden/heads), else hidden/heads.</summary>
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }
    public RopeScaling? RopeScaling { get; init; }
    public required bool TieWordEmbeddings { get; init; }
    /// <summary>Effective sliding window (null = full attention). Qwen2/3 only use it when <c>use_sliding_window</c> is true.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary><c>attention_bias</c> (Llama may declare it; Qwen2 always has q/k/v bias).</summary>
    public bool AttentionBias { get; init; }
    /// <summary><c>hidden_act</c>; only <c>silu</c> is supported.</summary>
    public string HiddenAct { get; init; } = "silu";
    /// <summary><c>torch_dtype</c> as declared (informational; tensors carry their own dtype).</summary>
    public string? TorchDtype { get; init; }
    public int? BosTokenId { get; init; }
    /// <summary>End-of-sequence ids: generation_config.json's <c>eos_token_id</c> (int or list), else config.json's.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Query heads per KV head (GQA).</summary>
    public int KvGroups => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>Reads <c>config.json</c> (and <c>generation_config.json</c> when present) from <paramref name="modelDir"/>.</summary>
    public static ModelConfig Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "config.json");
        var root = ReadJsonObject(path, required: true)!;
        var gen = ReadJsonObject(Path.Combine(modelDir, "generation_config.json"), required: false);
        return FromJson(root, gen, path);
    }

    /// <summary>Builds the record from parsed JSON; <paramref name="path"/> only names the file in errors.</summary>
    public static ModelConfig FromJson(JsonObject root, JsonObject? generationConfig, string path)
    {
        string architecture = root["architectures"] is JsonArray { Count: > 0 } archs && archs[0] is JsonValue av && av.TryGetValue(out string? a)
            ? a
            : throw SteerException.InvalidModel(path, "'architectures' is missing or empty");
        string modelType = GetString(root, "model_type", path) ?? throw SteerException.InvalidModel(path, "'model_type' is missing");
        int hidden = RequireInt(root, "hidden_size", path);
        int heads = RequireInt(root, "num_attention_heads", path);
        int kvHeads = GetInt(root, "num_key_value_heads", path) ?? heads;
        int headDim = GetInt(root, "head_dim", path) ?? (heads > 0 ? hidden / heads : 0);
        int layers = RequireInt(root, "num_hidden_layers", path);
        int inter = RequireInt(root, "intermediate_size", path);
        int vocab = RequireInt(root, "vocab_size", path);
        int maxPos = GetInt(root, "max_position_embeddings", path) ?? 2048;
        Positive(hidden, "hidden_size", path);
        Positive(heads, "num_attention_heads", path);
        Positive(kvHeads, "num_key_value_heads", path);
        Positive(headDim, "head_dim", path);
        Positive(layers, "num_hidden_layers", path);
        Positive(inter, "intermediate_size", path);
        Positive(vocab, "vocab_size", path);
        Positive(maxPos, "max_position_embeddings", path);
        if (heads % kvHeads != 0)
            throw SteerException.InvalidModel(path, $"num_attention_heads ({heads}) is not a multiple of num_key_value_heads ({kvHeads})");
        if (headDim % 2 != 0)
            throw SteerException.InvalidModel(path, $"head_dim ({headDim}) must be even for RoPE");

        // Sliding window: Mistral uses `sliding_window` when set; Qwen2/Qwen3 only when `use_sliding_window` is true.
        int? window = GetInt(root, "sliding_window", path);
        if (root.ContainsKey("use_sliding_window") && GetBool(root, "use_sliding_window", path) != true) window = null;
        if (window is <= 0) throw SteerException.InvalidModel(path, $"sliding_window must be positive, got {window}");

        var eos = ReadIds(generationConfig, "eos_token_id", path);
        if (eos.Count == 0) eos = ReadIds(root, "eos_token_id", path);
        int? bos = GetInt(generationConfig, "bos_token_id", path) ?? GetInt(root, "bos_token_id", path);

        return new ModelConfig
        {
            Architecture = architecture,
            ModelType = modelType,
            HiddenSize = hidden,
            IntermediateSize = inter,
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = vocab,
            MaxPositionEmbeddings = maxPos,
            RmsNormEps = GetDouble(root, "rms_norm_eps", path) ?? 1e-6,
            RopeTheta = GetDouble(root, "rope_theta", path) ?? 10000.0,
            RopeScaling = ReadRopeScaling(root, path),
            TieWordEmbeddings = GetBool(root, "tie_word_embeddings", path) ?? false,
            SlidingWindow = window,
            AttentionBias = GetBool(root, "attention_bias", path) ?? false,
            HiddenAct = GetString(root, "hidden_act", path) ?? "silu",
            TorchDtype = GetString(root, "torch_dtype", path),
            BosTokenId = bos,
            EosTokenIds = eos,
        };
    }

    private static RopeScaling? ReadRopeScaling(JsonObject root, string path)
    {
        if (root["rope_scaling"] is not JsonObject rs) return null;
        var type = GetString(rs, "rope_type", path) ?? GetString(rs, "type", path) ?? "default";
        if (type == "default") return null;
        if (type != "llama3")
            throw SteerException.InvalidModel(path, $"rope_scaling type '{type}' is not supported (supported: llama3)");
        return new RopeScaling(
            type,
            GetDouble(rs, "factor", path) ?? throw SteerException.InvalidModel(path, "rope_scaling.factor is missing"),
            GetDouble(rs, "low_freq_factor", path) ?? 1.0,
            GetDouble(rs, "high_freq_factor", path) ?? 4.0,
            GetInt(rs, "original_max_position_embeddings", path) ?? throw SteerException.InvalidModel(path, "rope_scaling.original_max_position_embeddings is missing"));
    }

    private static JsonObject? ReadJsonObject(string path, bool required)
    {
        if (!File.Exists(path))
            return required ? throw SteerException.InvalidModel(path, "file not found") : null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw SteerException.InvalidModel(path, "expected a JSON object");
        }
        catch (JsonException e)
        {
            throw SteerException.InvalidModel(path, $"invalid JSON: {e.Message}", e);
        }
    }

    private static List<int> ReadIds(JsonObject? obj, string key, string path)
    {
        var list = new List<int>();
        switch (obj?[key])
        {
            case null: break;
            case JsonArray arr:
                foreach (var item in arr)
                    list.Add(item is JsonValue v && v.TryGetValue(out int id) ? id : throw SteerException.InvalidModel(path, $"'{key}' must hold integers"));
                break;
            case JsonValue v when v.TryGetValue(out int single):
                list.Add(single);
                break;
            default:
                throw SteerException.InvalidModel(path, $"'{key}' must be an integer or a list of integers");
        }
        return list;
    }

    private static void Positive(int value, string key, string path)
    {
        if (value <= 0) throw SteerException.InvalidModel(path, $"'{key}' must be positive, got {value}");
    }

    private static int RequireInt(JsonObject obj, string key, string path) =>
        GetInt(obj, key, path) ?? throw SteerException.InvalidModel(path, $"'{key}' is missing");

    private static int? GetInt(JsonObject? obj, string key, string path)
    {
        var node = obj?[key];
        if (node is null) return null;
        if (node is JsonValue v)
        {
            if (v.TryGetValue(out int i)) return i;
            if (v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue) return (int)d;
        }
        throw SteerException.InvalidModel(path, $"'{key}' must be an integer, got {node.ToJsonString()}");
    }

    private static double? GetDouble(JsonObject? obj, string key, string path)
    {
        var node = obj?[key];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out double d)) return d;
        throw SteerException.InvalidModel(path, $"'{key}' must be a number, got {node.ToJsonString()}");
    }

    private static bool? GetBool(JsonObject? obj, string key, string path)
    {
        var node = obj?[key];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out bool b)) return b;
        throw SteerException.InvalidModel(path, $"'{key}' must be true or false, got {node.ToJsonString()}");
    }

    private static string? GetString(JsonObject? obj, string key, string path)
    {
        var node = obj?[key];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out string? s)) return s;
        throw SteerException.InvalidModel(path, $"'{key}' must be a string, got {node.ToJsonString()}");
    }
}
