using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>The built-in backend: every matrix packed into the kernels' panel layout, in the requested dtype, on huge pages.</summary>
public sealed class CpuBackendFactory : IBackendFactory
{
    public string Name => "cpu";

    public IModelBackend Load(string modelDir, ModelConfig config, ArchitectureTraits traits, ModelLoadOptions options)
    {
        if (options.Device is { } device && !device.Equals("cpu", StringComparison.OrdinalIgnoreCase))
            throw Errors.SteerException.InvalidRequest($"--device {device}: the cpu backend runs on 'cpu' only", "device");
        using var checkpoint = Checkpoint.Open(modelDir);
        var arena = new WeightArena();
        // Nothing points into the mapped files after packing (vectors are copied too), so the checkpoint can close.
        var weights = DecoderWeights.Load(checkpoint, config, traits, w => Pack(w, options.DType ?? w.DType, arena));
        return new CpuBackend(config, traits, weights, options.Threads);
    }

    private static unsafe WeightMatrix Pack(WeightMatrix mapped, DType dtype, WeightArena arena)
    {
        var packed = WeightMatrix.Quantize(mapped, dtype, arena);
        PageAdvice.DropMapped(mapped.Data, mapped.ByteSize);
        return packed;
    }
}
