using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>How to load a model. Defaults: weights as stored, all cores.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Weight storage type to convert to at load (f32/bf16/f16; q8_0 when the kernels provide it); null keeps the stored type.</summary>
    public DType? DType { get; init; }

    /// <summary>Worker threads for attention; null = <see cref="Environment.ProcessorCount"/>.</summary>
    public int? Threads { get; init; }
}
