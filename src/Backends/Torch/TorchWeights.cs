using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using static TorchSharp.torch;

namespace SteerServer.Backends.Torch;

/// <summary>
/// Every weight of a decoder-only checkpoint as device tensors in one compute dtype. Loading is the same name match as
/// <see cref="DecoderWeights"/> (same names, shapes and traits), reading the memory-mapped safetensors through
/// <see cref="Checkpoint"/> straight into the device tensors.
/// </summary>
internal sealed class TorchWeights : IDisposable
{
    public required Tensor EmbedTokens { get; init; }             // [vocabSize, hiddenSize]
    public required TorchLayerWeights[] Layers { get; init; }     // [numLayers]
    public required Tensor Norm { get; init; }                    // [hiddenSize] final RMSNorm
    public required Tensor LmHead { get; init; }                  // [vocabSize, hiddenSize] (the same tensor as EmbedTokens when tied)

    /// <summary>Device bytes of all weights.</summary>
    public long Bytes { get; init; }

    public static TorchWeights Load(Checkpoint checkpoint, ModelConfig config, ArchitectureTraits traits, ScalarType type, Device device)
    {
        int hidden = config.HiddenSize, inter = config.IntermediateSize, headDim = config.HeadDim;
        int qDim = config.NumAttentionHeads * headDim, kvDim = config.NumKeyValueHeads * headDim;
        var owned = new List<Tensor>();
        long bytes = 0;

        Tensor Keep(Tensor t)
        {
            owned.Add(t);
            bytes += t.numel() * t.element_size();
            return t;
        }
        Tensor One(string name, params long[] shape) => Keep(DeviceTensors.Load(checkpoint, name, shape, type, device));
        // Checkpoint tensors stacked along dim 0 (each [rows_i, cols...]) into one device tensor.
        Tensor Stacked(params (string Name, long[] Shape)[] parts)
        {
            var shape = (long[])parts[0].Shape.Clone();
            shape[0] = parts.Sum(p => p.Shape[0]);
            var result = Keep(empty(shape, type, device));
            long row = 0;
            foreach (var (name, partShape) in parts)
            {
                using var view = result.narrow(0, row, partShape[0]);
                DeviceTensors.LoadInto(view, checkpoint, name, partShape);
                row += partShape[0];
            }
            return result;
        }

        try
        {
            var layers = new TorchLayerWeights[config.NumHiddenLayers];
            for (int l = 0; l < layers.Length; l++)
            {
                string p = $"model.layers.{l}.";
                layers[l] = new TorchLayerWeights
                {
                    InputLayerNorm = One(p + "input_layernorm.weight", hidden),
                    QkvProj = Stacked((p + "self_attn.q_proj.weight", [qDim, hidden]), (p + "self_attn.k_proj.weight", [kvDim, hidden]),
                        (p + "self_attn.v_proj.weight", [kvDim, hidden])),
                    QkvProjBias = traits.QkvBias
                        ? Stacked((p + "self_attn.q_proj.bias", [qDim]), (p + "self_attn.k_proj.bias", [kvDim]), (p + "self_attn.v_proj.bias", [kvDim]))
                        : null,
                    OProj = One(p + "self_attn.o_proj.weight", hidden, qDim),
                    OProjBias = traits.OProjBias ? One(p + "self_attn.o_proj.bias", hidden) : null,
                    QNorm = traits.QkNorm ? One(p + "self_attn.q_norm.weight", headDim) : null,
                    KNorm = traits.QkNorm ? One(p + "self_attn.k_norm.weight", headDim) : null,
                    PostAttentionLayerNorm = One(p + "post_attention_layernorm.weight", hidden),
                    GateUpProj = Stacked((p + "mlp.gate_proj.weight", [inter, hidden]), (p + "mlp.up_proj.weight", [inter, hidden])),
                    DownProj = One(p + "mlp.down_proj.weight", hidden, inter),
                };
            }
            var embed = One("model.embed_tokens.weight", config.VocabSize, hidden);
            // Tied: the embedding is the classifier (some tied checkpoints also store lm_head.weight; it is the same matrix).
            var lmHead = config.TieWordEmbeddings ? embed : One("lm_head.weight", config.VocabSize, hidden);
            return new TorchWeights
            {
                EmbedTokens = embed,
                Layers = layers,
                Norm = One("model.norm.weight", hidden),
                LmHead = lmHead,
                Bytes = bytes,
            };
        }
        catch
        {
            foreach (var t in owned) t.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
        EmbedTokens.Dispose();
        if (!ReferenceEquals(LmHead, EmbedTokens)) LmHead.Dispose();
        Norm.Dispose();
    }
}
