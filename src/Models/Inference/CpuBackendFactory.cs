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
        var weights = DecoderWeights.Load(checkpoint, config, traits, (name, w) => Pack(w, PackedDType(name, options.DType ?? w.DType), arena));
        return new CpuBackend(config, traits, weights, options.Threads);
    }

    /// <summary>
    /// The dtype a matrix is packed in. q4 keeps the embedding and output projection at q8_0, as llama.cpp's Q4_K_M keeps
    /// them at Q6_K: they make every token's logits (stories260K: mean KL from f32 0.055 → 0.037 nats; notes/speed.md).
    /// </summary>
    internal static DType PackedDType(string name, DType requested) =>
        requested == DType.Q4 && name is "model.embed_tokens.weight" or "lm_head.weight" ? DType.Q8_0 : requested;

    private static unsafe WeightMatrix Pack(WeightMatrix mapped, DType dtype, WeightArena arena)
    {
        var packed = WeightPacker.Pack(mapped, dtype, arena);
        PageAdvice.DropMapped(mapped.Data, mapped.ByteSize);
        return packed;
    }
}
