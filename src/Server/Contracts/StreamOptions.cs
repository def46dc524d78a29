namespace SteerServer.Server.Contracts;

/// <summary><c>stream_options</c>: <c>include_usage</c> adds one usage chunk (with <c>choices: []</c>) before <c>[DONE]</c>.</summary>
public sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }
    public bool? IncludeObfuscation { get; set; }
    /// <summary>vLLM extension: with include_usage, every chunk carries the usage so far.</summary>
    public bool? ContinuousUsageStats { get; set; }
}
