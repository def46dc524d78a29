using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;

namespace SteerServer.Models.Inference;

/// <summary>Loads a checkpoint into one kind of backend. Chosen by <see cref="ModelLoadOptions.Backend"/> (<c>--backend</c>).</summary>
public interface IBackendFactory
{
    /// <summary>The name users select it by: "cpu", "torch".</summary>
    string Name { get; }

    IModelBackend Load(string modelDir, ModelConfig config, ArchitectureTraits traits, ModelLoadOptions options);
}
