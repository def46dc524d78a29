using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>A loaded checkpoint and its engine (tokenizer-independent).</summary>
public sealed class Model : IDisposable
{
    private Model(string directory, ModelConfig config, ArchitectureTraits traits, IModelBackend backend)
    {
        Directory = directory;
        Config = config;
        Traits = traits;
        Backend = backend;
    }

    public ModelConfig Config { get; }

    /// <summary>Resolved model directory.</summary>
    public string Directory { get; }

    public ArchitectureTraits Traits { get; }

    public IModelBackend Backend { get; }

    /// <summary>
    /// Loads a Hugging Face model directory, or an id <c>ORG/NAME</c> from the local HF cache.
    /// Every problem with the files is a <see cref="SteerException"/> (InvalidModel / ModelNotFound) naming the file.
    /// </summary>
    public static Model Load(string dirOrHfId, ModelLoadOptions? options = null)
    {
        options ??= new ModelLoadOptions();
        var dir = HfCacheResolver.Resolve(dirOrHfId);
        var config = ModelConfig.Load(dir);
        var traits = ArchitectureTraits.For(config, Path.Combine(dir, "config.json"));
        var checkpoint = Checkpoint.Open(dir);
        try
        {
            // Every matrix is packed into the kernels' panel layout, in the requested dtype, on huge pages.
            var arena = new WeightArena();
            var weights = DecoderWeights.Load(checkpoint, config, traits, w => Pack(w, options.DType ?? w.DType, arena));
            checkpoint.Dispose(); // nothing points into the mapped files any more (vectors are copied too)
            var backend = new CpuBackend(config, traits, weights, options.Threads);
            return new Model(dir, config, traits, backend);
        }
        catch (Exception e) when (e is not SteerException)
        {
            checkpoint.Dispose();
            throw SteerException.InvalidModel(dir, $"cannot load weights: {e.Message}", e);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    public void Dispose() => Backend.Dispose();

    private static unsafe WeightMatrix Pack(WeightMatrix mapped, DType dtype, WeightArena arena)
    {
        var packed = WeightMatrix.Quantize(mapped, dtype, arena);
        PageAdvice.DropMapped(mapped.Data, mapped.ByteSize);
        return packed;
    }
}
