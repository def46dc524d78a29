namespace SteerServer.Models.Checkpoints;

/// <summary>The config.json facts of a model shape that <see cref="RandomModel"/> reproduces with random weights.</summary>
public sealed record RandomModelShape(
    string ModelType,
    string Architecture,
    int HiddenSize,
    int IntermediateSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int NumKeyValueHeads,
    int VocabSize,
    bool Tied,
    bool QkvBias,
    double RopeTheta,
    double RmsNormEps,
    int MaxPositions,
    int BosTokenId,
    int EosTokenId)
{
    /// <summary><c>head_dim</c> when the model declares one other than hidden / heads (Qwen3).</summary>
    public int? HeadDim { get; init; }

    /// <summary>Llama 3.1/3.2 <c>rope_scaling</c> (type llama3).</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>RMSNorm over head_dim on each q and k head (Qwen3: <c>q_norm</c>/<c>k_norm</c> weights).</summary>
    public bool QkNorm => ModelType == "qwen3";

    public int HeadDimension => HeadDim ?? HiddenSize / NumAttentionHeads;
}
