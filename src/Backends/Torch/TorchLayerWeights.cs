using static TorchSharp.torch;

namespace SteerServer.Backends.Torch;

/// <summary>
/// Weights of one decoder layer as device tensors in the compute dtype, named like the checkpoint. The q/k/v and the
/// gate/up projections are stacked along their output rows at load, so each is one matrix product.
/// </summary>
internal sealed class TorchLayerWeights : IDisposable
{
    public required Tensor InputLayerNorm { get; init; }          // [hiddenSize]
    public required Tensor QkvProj { get; init; }                 // [(numHeads + 2 numKvHeads) headDim, hiddenSize]: q_proj; k_proj; v_proj
    public Tensor? QkvProjBias { get; init; }                     // [(numHeads + 2 numKvHeads) headDim] (QkvBias)
    public required Tensor OProj { get; init; }                   // [hiddenSize, numHeads headDim]
    public Tensor? OProjBias { get; init; }                       // [hiddenSize] (OProjBias)
    public Tensor? QNorm { get; init; }                           // [headDim] (QkNorm)
    public Tensor? KNorm { get; init; }                           // [headDim] (QkNorm)
    public required Tensor PostAttentionLayerNorm { get; init; }  // [hiddenSize]
    public required Tensor GateUpProj { get; init; }              // [2 intermediateSize, hiddenSize]: gate_proj; up_proj
    public required Tensor DownProj { get; init; }                // [hiddenSize, intermediateSize]

    public void Dispose()
    {
        foreach (var t in new[] { InputLayerNorm, QkvProj, QkvProjBias, OProj, OProjBias, QNorm, KNorm, PostAttentionLayerNorm, GateUpProj, DownProj })
            t?.Dispose();
    }
}
