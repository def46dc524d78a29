using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Errors;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Checkpoints;

/// <summary>
/// Writes a random-weight model of a real model's shape as a Hugging Face directory (config.json,
/// generation_config.json, model.safetensors) so that benchmarks need no download and load it like any
/// checkpoint. Matrices and biases are N(0, 0.02) (the models' <c>initializer_range</c>); RMSNorm weights are 1,
/// as at initialisation, so activations keep a realistic scale through the layers.
/// </summary>
public static class RandomModel
{
    /// <summary>Shapes <see cref="Create"/> knows, by name.</summary>
    public static IReadOnlyDictionary<string, RandomModelShape> Shapes { get; } = new Dictionary<string, RandomModelShape>(StringComparer.OrdinalIgnoreCase)
    {
        ["smollm2-135m"] = new("llama", "LlamaForCausalLM", 576, 1536, 30, 9, 3, 49152, Tied: true, QkvBias: false, RopeTheta: 100000, RmsNormEps: 1e-5, MaxPositions: 8192, BosTokenId: 1, EosTokenId: 2),
        ["stories15m"] = new("llama", "LlamaForCausalLM", 288, 768, 6, 6, 6, 32000, Tied: false, QkvBias: false, RopeTheta: 10000, RmsNormEps: 1e-5, MaxPositions: 256, BosTokenId: 1, EosTokenId: 2),
        ["qwen2.5-0.5b"] = new("qwen2", "Qwen2ForCausalLM", 896, 4864, 24, 14, 2, 151936, Tied: true, QkvBias: true, RopeTheta: 1000000, RmsNormEps: 1e-6, MaxPositions: 32768, BosTokenId: 151643, EosTokenId: 151645),
        ["qwen2.5-1.5b"] = new("qwen2", "Qwen2ForCausalLM", 1536, 8960, 28, 12, 2, 151936, Tied: true, QkvBias: true, RopeTheta: 1000000, RmsNormEps: 1e-6, MaxPositions: 32768, BosTokenId: 151643, EosTokenId: 151645),
        ["qwen3-0.6b"] = new("qwen3", "Qwen3ForCausalLM", 1024, 3072, 28, 16, 8, 151936, Tied: true, QkvBias: false, RopeTheta: 1000000, RmsNormEps: 1e-6, MaxPositions: 40960, BosTokenId: 151643, EosTokenId: 151645) { HeadDim = 128 },
        ["llama-3.2-1b"] = new("llama", "LlamaForCausalLM", 2048, 8192, 16, 32, 8, 128256, Tied: true, QkvBias: false, RopeTheta: 500000, RmsNormEps: 1e-5, MaxPositions: 131072, BosTokenId: 128000, EosTokenId: 128009) { RopeScaling = Llama3Scaling(32) },
        ["llama-3.1-8b"] = new("llama", "LlamaForCausalLM", 4096, 14336, 32, 32, 8, 128256, Tied: false, QkvBias: false, RopeTheta: 500000, RmsNormEps: 1e-5, MaxPositions: 131072, BosTokenId: 128000, EosTokenId: 128009) { RopeScaling = Llama3Scaling(8) },
    };

    private static RopeScaling Llama3Scaling(double factor) => new("llama3", factor, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192);

    /// <summary>
    /// The directory of a random model of <paramref name="shape"/> stored in <paramref name="dtype"/> (f32, bf16, f16),
    /// created under <paramref name="root"/> (default: the temp directory) on first use and reused afterwards
    /// (same name, dtype and seed give the same bytes).
    /// </summary>
    public static string Create(string shape, DType dtype = DType.F32, int seed = 0, string? root = null)
    {
        if (!Shapes.TryGetValue(shape, out var s))
            throw SteerException.InvalidRequest($"unknown random model shape '{shape}'; known: {string.Join(", ", Shapes.Keys)}", "random");
        if (dtype is not (DType.F32 or DType.BF16 or DType.F16))
            throw SteerException.InvalidRequest($"random models are stored as f32, bf16 or f16, not {dtype} (quantise at load instead)", "dtype");
        root ??= Path.Combine(Path.GetTempPath(), "steerserver-random");
        string dir = Path.Combine(root, $"{shape.ToLowerInvariant()}-{dtype.ToString().ToLowerInvariant()}-seed{seed}");
        string done = Path.Combine(dir, ".complete");
        if (File.Exists(done)) return dir;
        Directory.CreateDirectory(dir);
        WriteConfig(dir, s, dtype);
        WriteWeights(Path.Combine(dir, "model.safetensors"), s, dtype, seed);
        File.WriteAllText(done, "");
        return dir;
    }

    private static void WriteConfig(string dir, RandomModelShape s, DType dtype)
    {
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(s.Architecture),
            ["model_type"] = s.ModelType,
            ["hidden_size"] = s.HiddenSize,
            ["intermediate_size"] = s.IntermediateSize,
            ["num_hidden_layers"] = s.NumHiddenLayers,
            ["num_attention_heads"] = s.NumAttentionHeads,
            ["num_key_value_heads"] = s.NumKeyValueHeads,
            ["vocab_size"] = s.VocabSize,
            ["max_position_embeddings"] = s.MaxPositions,
            ["rms_norm_eps"] = s.RmsNormEps,
            ["rope_theta"] = s.RopeTheta,
            ["tie_word_embeddings"] = s.Tied,
            ["hidden_act"] = "silu",
            ["bos_token_id"] = s.BosTokenId,
            ["eos_token_id"] = s.EosTokenId,
            ["initializer_range"] = 0.02,
            ["torch_dtype"] = dtype switch { DType.BF16 => "bfloat16", DType.F16 => "float16", _ => "float32" },
        };
        if (s.HeadDim is int headDim) config["head_dim"] = headDim;
        if (s.RopeScaling is { } rs)
            config["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = rs.RopeType,
                ["factor"] = rs.Factor,
                ["low_freq_factor"] = rs.LowFreqFactor,
                ["high_freq_factor"] = rs.HighFreqFactor,
                ["original_max_position_embeddings"] = rs.OriginalMaxPositionEmbeddings,
            };
        if (s.ModelType is "qwen2" or "qwen3")
        {
            config["sliding_window"] = s.MaxPositions;
            config["use_sliding_window"] = false;
        }
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString(options));
        File.WriteAllText(Path.Combine(dir, "generation_config.json"),
            new JsonObject { ["bos_token_id"] = s.BosTokenId, ["eos_token_id"] = s.EosTokenId }.ToJsonString(options));
    }

    private enum Fill { Normal, Ones }

    private static List<(string Name, long[] Shape, Fill Fill)> Tensors(RandomModelShape s)
    {
        int h = s.HiddenSize, hd = s.HeadDimension;
        int q = s.NumAttentionHeads * hd, kv = s.NumKeyValueHeads * hd;
        var list = new List<(string, long[], Fill)> { ("model.embed_tokens.weight", [s.VocabSize, h], Fill.Normal) };
        for (int l = 0; l < s.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            list.Add((p + "input_layernorm.weight", [h], Fill.Ones));
            list.Add((p + "self_attn.q_proj.weight", [q, h], Fill.Normal));
            list.Add((p + "self_attn.k_proj.weight", [kv, h], Fill.Normal));
            list.Add((p + "self_attn.v_proj.weight", [kv, h], Fill.Normal));
            if (s.QkvBias)
            {
                list.Add((p + "self_attn.q_proj.bias", [q], Fill.Normal));
                list.Add((p + "self_attn.k_proj.bias", [kv], Fill.Normal));
                list.Add((p + "self_attn.v_proj.bias", [kv], Fill.Normal));
            }
            if (s.QkNorm)
            {
                list.Add((p + "self_attn.q_norm.weight", [hd], Fill.Ones));
                list.Add((p + "self_attn.k_norm.weight", [hd], Fill.Ones));
            }
            list.Add((p + "self_attn.o_proj.weight", [h, q], Fill.Normal));
            list.Add((p + "post_attention_layernorm.weight", [h], Fill.Ones));
            list.Add((p + "mlp.gate_proj.weight", [s.IntermediateSize, h], Fill.Normal));
            list.Add((p + "mlp.up_proj.weight", [s.IntermediateSize, h], Fill.Normal));
            list.Add((p + "mlp.down_proj.weight", [h, s.IntermediateSize], Fill.Normal));
        }
        list.Add(("model.norm.weight", [h], Fill.Ones));
        if (!s.Tied) list.Add(("lm_head.weight", [s.VocabSize, h], Fill.Normal));
        return list;
    }

    private static void WriteWeights(string path, RandomModelShape s, DType dtype, int seed)
    {
        int elementBytes = dtype == DType.F32 ? 4 : 2;
        string dtypeName = dtype switch { DType.BF16 => "BF16", DType.F16 => "F16", _ => "F32" };
        var tensors = Tensors(s);

        // Header: {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...}, padded with spaces to 8 bytes.
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt", ["generator"] = "SteerServer RandomModel" } };
        long offset = 0;
        foreach (var (name, shape, _) in tensors)
        {
            long bytes = shape.Aggregate(1L, (a, b) => a * b) * elementBytes;
            header[name] = new JsonObject
            {
                ["dtype"] = dtypeName,
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) & ~7;

        string tmp = path + ".tmp";
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            file.Write(len);
            file.Write(headerBytes);
            for (int i = headerBytes.Length; i < padded; i++) file.WriteByte((byte)' ');

            var rng = new Gaussian((ulong)seed * 0x9E3779B97F4A7C15UL + 0x1234567UL);
            var values = new float[1 << 16];
            var bytes = new byte[values.Length * elementBytes];
            foreach (var (_, shape, fill) in tensors)
            {
                long count = shape.Aggregate(1L, (a, b) => a * b);
                for (long done = 0; done < count; done += values.Length)
                {
                    int n = (int)Math.Min(values.Length, count - done);
                    for (int i = 0; i < n; i++) values[i] = fill == Fill.Ones ? 1f : 0.02f * rng.Next();
                    Encode(values.AsSpan(0, n), bytes, dtype);
                    file.Write(bytes, 0, n * elementBytes);
                }
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void Encode(ReadOnlySpan<float> values, byte[] bytes, DType dtype)
    {
        var span = bytes.AsSpan();
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case DType.F32: BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], values[i]); break;
                case DType.F16: BinaryPrimitives.WriteHalfLittleEndian(span[(i * 2)..], (Half)values[i]); break;
                default: BinaryPrimitives.WriteUInt16LittleEndian(span[(i * 2)..], MatMulBf16.FromSingle(values[i])); break;
            }
        }
    }

    /// <summary>Standard normal samples: xorshift64* uniforms through Box–Muller (fast and reproducible).</summary>
    private struct Gaussian(ulong state)
    {
        private ulong state = state == 0 ? 1 : state;
        private float spare;
        private bool hasSpare;

        public float Next()
        {
            if (hasSpare) { hasSpare = false; return spare; }
            double u1 = (NextUInt() >> 11) * (1.0 / (1UL << 53));
            double u2 = (NextUInt() >> 11) * (1.0 / (1UL << 53));
            if (u1 < 1e-300) u1 = 1e-300;
            double r = Math.Sqrt(-2 * Math.Log(u1)), a = 2 * Math.PI * u2;
            spare = (float)(r * Math.Sin(a));
            hasSpare = true;
            return (float)(r * Math.Cos(a));
        }

        private ulong NextUInt()
        {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
            return state * 0x2545F4914F6CDD1DUL;
        }
    }
}
