using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;

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
        var factory = BackendFactories.Get(options.Backend);
        try
        {
            return new Model(dir, config, traits, factory.Load(dir, config, traits, options));
        }
        catch (Exception e) when (e is not SteerException)
        {
            throw SteerException.InvalidModel(dir, $"cannot load weights: {e.Message}", e);
        }
    }

    public void Dispose() => Backend.Dispose();
}
