namespace SteerServer.Models.Checkpoints;

/// <summary>
/// <c>rope_scaling</c> of config.json. Only <c>llama3</c> (and <c>default</c>, i.e. none) is supported;
/// anything else is rejected at load so a model never runs with silently wrong positions.
/// </summary>
public sealed record RopeScaling(
    string RopeType,
    double Factor,
    double LowFreqFactor,
    double HighFreqFactor,
    int OriginalMaxPositionEmbeddings);
