using SteerServer.Models.Checkpoints;

namespace SteerServer.Steering;

/// <summary>
/// What steering needs to know about the served model: its layer and query-head counts (to validate
/// <c>head_config</c> and size the offsets) and the configured default head set, if any.
/// </summary>
public sealed record SteeringLimits(int NumLayers, int NumHeads, HeadConfig? DefaultHeadConfig = null)
{
    public int NumLayers { get; } = NumLayers > 0 ? NumLayers : throw new ArgumentOutOfRangeException(nameof(NumLayers));
    public int NumHeads { get; } = NumHeads > 0 ? NumHeads : throw new ArgumentOutOfRangeException(nameof(NumHeads));

    /// <summary>The limits of a loaded model: its layers and query heads (never the KV heads).</summary>
    public static SteeringLimits From(ModelConfig config, HeadConfig? defaultHeadConfig = null) =>
        new(config.NumHiddenLayers, config.NumAttentionHeads, defaultHeadConfig);
}
