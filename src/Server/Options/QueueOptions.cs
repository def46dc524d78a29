namespace SteerServer.Server.Options;

/// <summary>Section <c>SteerServer:Queue</c>: admission, batching and time limits of the model worker.</summary>
public sealed class QueueOptions
{
    public const string Section = "SteerServer:Queue";

    /// <summary>Sequences decoded together in one step.</summary>
    public int MaxBatch { get; set; } = 8;

    /// <summary>Requests waiting for a batch slot; beyond this a request gets 429.</summary>
    public int MaxQueue { get; set; } = 64;

    /// <summary>
    /// KV-cache positions running sequences may hold together, taken as they are computed (not reserved for max_tokens);
    /// when decoding needs more, the newest sequence is preempted and recomputed later. 0 = MaxBatch × context.
    /// </summary>
    public int MaxKvTokens { get; set; }

    /// <summary>
    /// Tokens one forward step computes: a decode token for every running sequence, the rest prompt chunks. Smaller
    /// keeps streams smoother while long prompts arrive; larger computes prompts faster.
    /// </summary>
    public int MaxStepTokens { get; set; } = 256;

    /// <summary>
    /// How long one step should take, in milliseconds: while prompts are computed, the step's token budget follows the
    /// measured cost per token so that running streams see a token about this often, however fast or loaded the
    /// machine is (up to MaxStepTokens). 0 = always fill MaxStepTokens.
    /// </summary>
    public int TargetStepMs { get; set; } = 400;

    /// <summary>
    /// Memory for Influence passes (layers × prompt² attention values each), queued and running together, in MiB.
    /// A request whose pass alone exceeds it gets 400; one that does not fit beside the others now gets 429.
    /// </summary>
    public int InfluenceMemoryMb { get; set; } = 1024;

    /// <summary>A request (queued plus generating) is cancelled after this many seconds; 0 = no limit.</summary>
    public int RequestTimeoutSeconds { get; set; } = 600;

    /// <summary>On shutdown, running requests get this long to finish before they are cancelled.</summary>
    public int DrainTimeoutSeconds { get; set; } = 30;

    /// <summary>The <c>Retry-After</c> value sent with 429 and 503.</summary>
    public int RetryAfterSeconds { get; set; } = 1;
}
