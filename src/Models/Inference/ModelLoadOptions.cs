using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>How to load a model. Defaults: weights in their stored dtype (always packed for the kernels), all cores.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Weight dtype to convert to at load (f32, bf16, f16, q8_0 or q4); null keeps the stored one.</summary>
    public DType? DType { get; init; }

    /// <summary>Compute threads (matrix products, attention, norms), including the caller; null = <see cref="Environment.ProcessorCount"/>.</summary>
    public int? Threads { get; init; }

    /// <summary>Which engine runs the model (<c>--backend</c>): "cpu" (built in) or another factory's name (see <see cref="BackendFactories"/>).</summary>
    public string Backend { get; init; } = BackendFactories.Default;

    /// <summary>Device for the backend, e.g. "cuda:0"; null = the backend's default.</summary>
    public string? Device { get; init; }
}
