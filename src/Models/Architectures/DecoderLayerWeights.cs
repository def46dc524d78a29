using SteerServer.Models.Kernels;

namespace SteerServer.Models.Architectures;

/// <summary>Weights of one decoder layer, named like the checkpoint (<c>model.layers.N.*</c>).</summary>
public sealed class DecoderLayerWeights
{
    public required float[] InputLayerNorm { get; init; }          // [hiddenSize]
    public required WeightMatrix QProj { get; init; }              // [numHeads * headDim, hiddenSize]
    public required WeightMatrix KProj { get; init; }              // [numKvHeads * headDim, hiddenSize]
    public required WeightMatrix VProj { get; init; }              // [numKvHeads * headDim, hiddenSize]
    public required WeightMatrix OProj { get; init; }              // [hiddenSize, numHeads * headDim]
    public float[]? QProjBias { get; init; }                        // [numHeads * headDim] (QkvBias)
    public float[]? KProjBias { get; init; }                        // [numKvHeads * headDim] (QkvBias)
    public float[]? VProjBias { get; init; }                        // [numKvHeads * headDim] (QkvBias)
    public float[]? OProjBias { get; init; }                        // [hiddenSize] (OProjBias)
    public float[]? QNorm { get; init; }                            // [headDim] (QkNorm)
    public float[]? KNorm { get; init; }                            // [headDim] (QkNorm)
    public required float[] PostAttentionLayerNorm { get; init; }  // [hiddenSize]
    public required WeightMatrix GateProj { get; init; }           // [intermediateSize, hiddenSize]
    public required WeightMatrix UpProj { get; init; }             // [intermediateSize, hiddenSize]
    public required WeightMatrix DownProj { get; init; }           // [hiddenSize, intermediateSize]
}
