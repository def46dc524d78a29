using SteerServer.Models.Checkpoints;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Architectures;

/// <summary>
/// Read-only weights of a decoder-only transformer, named like the checkpoint. Loading is a name match:
/// <c>model.embed_tokens.weight</c>, <c>model.layers.N.self_attn.q_proj.weight</c>, … <c>lm_head.weight</c>
/// (absent when <c>tie_word_embeddings</c>: the embedding matrix is reused).
/// </summary>
public sealed class DecoderWeights
{
    public required WeightMatrix EmbedTokens { get; init; }        // [vocabSize, hiddenSize]
    public required DecoderLayerWeights[] Layers { get; init; }    // [numLayers]
    public required float[] Norm { get; init; }                    // [hiddenSize] final RMSNorm
    public required WeightMatrix LmHead { get; init; }             // [vocabSize, hiddenSize] (== EmbedTokens when tied)

    /// <summary>The matrices one decode step reads in full: every layer's and the output projection (one embedding row aside).</summary>
    public IEnumerable<WeightMatrix> DecodeMatrices =>
        Layers.SelectMany(l => new[] { l.QProj, l.KProj, l.VProj, l.OProj, l.GateProj, l.UpProj, l.DownProj }).Append(LmHead);

    /// <summary>Bytes of weights one decode step reads.</summary>
    public long DecodeBytesPerToken => DecodeMatrices.Sum(w => w.ByteSize);

    /// <summary>
    /// Loads every weight of <paramref name="config"/>/<paramref name="traits"/> from <paramref name="checkpoint"/>, checking names
    /// and shapes; <paramref name="convert"/> gets each matrix with its checkpoint name.
    /// </summary>
    public static DecoderWeights Load(Checkpoint checkpoint, ModelConfig config, ArchitectureTraits traits, Func<string, WeightMatrix, WeightMatrix>? convert = null)
    {
        convert ??= static (_, w) => w;
        int hidden = config.HiddenSize, inter = config.IntermediateSize, headDim = config.HeadDim;
        int qDim = config.NumAttentionHeads * headDim, kvDim = config.NumKeyValueHeads * headDim;

        WeightMatrix Matrix(string name, int rows, int cols) => convert(name, checkpoint.GetMatrix(name, rows, cols));

        // The vocabulary matrices first: each is the largest tensor, and converted while little else is resident its
        // source pages and its packed copy overlap least with the rest (load peak 1.54 → 1.2× the packed weights on
        // qwen2.5-0.5b q8_0).
        var embed = Matrix("model.embed_tokens.weight", config.VocabSize, hidden);
        // Tied: reuse the embedding (some tied checkpoints still store lm_head.weight; it is the same tensor).
        var lmHead = config.TieWordEmbeddings ? embed : Matrix("lm_head.weight", config.VocabSize, hidden);
        var layers = new DecoderLayerWeights[config.NumHiddenLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            string p = $"model.layers.{l}.";
            layers[l] = new DecoderLayerWeights
            {
                InputLayerNorm = checkpoint.GetVector(p + "input_layernorm.weight", hidden),
                QProj = Matrix(p + "self_attn.q_proj.weight", qDim, hidden),
                KProj = Matrix(p + "self_attn.k_proj.weight", kvDim, hidden),
                VProj = Matrix(p + "self_attn.v_proj.weight", kvDim, hidden),
                OProj = Matrix(p + "self_attn.o_proj.weight", hidden, qDim),
                QProjBias = traits.QkvBias ? checkpoint.GetVector(p + "self_attn.q_proj.bias", qDim) : null,
                KProjBias = traits.QkvBias ? checkpoint.GetVector(p + "self_attn.k_proj.bias", kvDim) : null,
                VProjBias = traits.QkvBias ? checkpoint.GetVector(p + "self_attn.v_proj.bias", kvDim) : null,
                OProjBias = traits.OProjBias ? checkpoint.GetVector(p + "self_attn.o_proj.bias", hidden) : null,
                QNorm = traits.QkNorm ? checkpoint.GetVector(p + "self_attn.q_norm.weight", headDim) : null,
                KNorm = traits.QkNorm ? checkpoint.GetVector(p + "self_attn.k_norm.weight", headDim) : null,
                PostAttentionLayerNorm = checkpoint.GetVector(p + "post_attention_layernorm.weight", hidden),
                GateProj = Matrix(p + "mlp.gate_proj.weight", inter, hidden),
                UpProj = Matrix(p + "mlp.up_proj.weight", inter, hidden),
                DownProj = Matrix(p + "mlp.down_proj.weight", hidden, inter),
            };
        }
        return new DecoderWeights
        {
            EmbedTokens = embed,
            Layers = layers,
            Norm = checkpoint.GetVector("model.norm.weight", hidden),
            LmHead = lmHead,
        };
    }
}
