using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Architectures;

/// <summary>
/// The per-architecture differences of the one decoder, as data. The forward pass tests these flags,
/// never model names. Everything else (sliding window size, rope scaling, tied embeddings, head_dim)
/// comes from <see cref="ModelConfig"/>.
/// </summary>
public sealed record ArchitectureTraits(
    string Name,
    bool QkvBias,           // q_proj/k_proj/v_proj carry a bias (Qwen2; Llama/Mistral/Qwen3 when attention_bias)
    bool OProjBias,         // o_proj carries a bias (Llama/Mistral with attention_bias)
    bool QkNorm,            // RMSNorm over head_dim on each q and k head before RoPE (Qwen3)
    bool UsesSlidingWindow) // the config's sliding_window applies (Qwen2/3: only with use_sliding_window, folded into ModelConfig)
{
    /// <summary>Picks the traits for <c>model_type</c> (with <c>architectures[0]</c> as a cross-check).</summary>
    public static ArchitectureTraits For(ModelConfig config, string configPath)
    {
        var traits = config.ModelType switch
        {
            "llama" => new ArchitectureTraits("llama", config.AttentionBias, config.AttentionBias, QkNorm: false, UsesSlidingWindow: false),
            "mistral" => new ArchitectureTraits("mistral", config.AttentionBias, config.AttentionBias, QkNorm: false, UsesSlidingWindow: true),
            "qwen2" => new ArchitectureTraits("qwen2", QkvBias: true, OProjBias: false, QkNorm: false, UsesSlidingWindow: true),
            "qwen3" => new ArchitectureTraits("qwen3", config.AttentionBias, OProjBias: false, QkNorm: true, UsesSlidingWindow: true),
            _ => throw SteerException.InvalidModel(configPath,
                $"unsupported architecture: model_type '{config.ModelType}' ({config.Architecture}); supported: llama, mistral, qwen2, qwen3"),
        };
        string[] known = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"];
        if (!known.Contains(config.Architecture))
            throw SteerException.InvalidModel(configPath,
                $"unsupported architecture '{config.Architecture}'; supported: {string.Join(", ", known)}");
        if (config.HiddenAct != "silu")
            throw SteerException.InvalidModel(configPath, $"unsupported hidden_act '{config.HiddenAct}' (only silu)");
        return traits;
    }
}
