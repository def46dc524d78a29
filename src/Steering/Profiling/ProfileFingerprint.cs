namespace SteerServer.Steering.Profiling;

/// <summary>
/// What a sidecar's scores depend on. A resumed run must match it exactly, so scores measured under other
/// settings are never mixed in; the metric and top-k are not part of it (both deltas are stored, and ranking
/// is done afterwards).
/// </summary>
/// <param name="ConfigSha256">sha256 of the model's config.json</param>
/// <param name="WeightsBytes">total size of the model's *.safetensors files</param>
/// <param name="TasksSha256">sha256 of the task file's bytes</param>
/// <param name="DType">weight dtype at load ("" = as stored)</param>
public sealed record ProfileFingerprint(
    string ConfigSha256, long WeightsBytes, int NumLayers, int NumHeads, string TasksSha256,
    double Alpha, string ScalePosition, string DType)
{
    /// <summary>Version of the sidecar format.</summary>
    public const int FormatVersion = 1;
}
