namespace SteerServer.Server.Options;

/// <summary>
/// Section <c>SteerServer:Limits</c>: how much one request may ask for. Each sequence holds a batch slot and its own
/// KV cache, so a single request must not be able to queue thousands of them; beyond a limit the request is refused
/// with a 400 naming the parameter, before any prompt is tokenized.
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "SteerServer:Limits";

    /// <summary>Largest <c>n</c> (choices per prompt).</summary>
    public int MaxN { get; set; } = 16;

    /// <summary>Largest number of prompts in one <c>/v1/completions</c> request.</summary>
    public int MaxPrompts { get; set; } = 32;

    /// <summary>Largest number of sequences one request starts: prompts × <c>n</c>.</summary>
    public int MaxSequences { get; set; } = 64;
}
