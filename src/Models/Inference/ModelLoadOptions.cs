using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>How to load a model. Defaults: weights in their stored dtype (always packed for the kernels), all cores.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Weight dtype to convert to at load (f32, bf16, f16 or q8_0); null keeps the stored one.</summary>
    public DType? DType { get; init; }

    /// <summary>Compute threads (matrix products, attention, norms), including the caller; null = <see cref="Environment.ProcessorCount"/>.</summary>
    public int? Threads { get; init; }
}
