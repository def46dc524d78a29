using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Inference;
using static TorchSharp.torch;

namespace SteerServer.Backends.Torch;

/// <summary><c>--backend torch [--device cpu|cuda[:N]] [--dtype f32|bf16|f16]</c>: loads a checkpoint into a <see cref="TorchBackend"/>.</summary>
public sealed class TorchBackendFactory : IBackendFactory
{
    public string Name => "torch";

    public IModelBackend Load(string modelDir, ModelConfig config, ArchitectureTraits traits, ModelLoadOptions options)
    {
        var device = TorchDevices.Parse(options.Device);
        var type = TorchDevices.ComputeType(options.DType, device);
        // --threads: libtorch's intra-op pool (process-wide); by default libtorch uses every core.
        if (options.Threads is int threads) set_num_threads(Math.Max(1, threads));
        using var checkpoint = Checkpoint.Open(modelDir);
        var weights = TorchWeights.Load(checkpoint, config, traits, type, device);
        return new TorchBackend(config, traits, weights, type, device);
    }
}
