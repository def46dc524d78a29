namespace SteerServer.Server.Options;

/// <summary>Section <c>SteerServer:Queue</c>: admission, batching and time limits of the model worker.</summary>
public sealed class QueueOptions
{
    public const string Section = "SteerServer:Queue";

    /// <summary>Sequences decoded together in one step.</summary>
    public int MaxBatch { get; set; } = 8;

    /// <summary>Requests waiting for a batch slot; beyond this a request gets 429.</summary>
    public int MaxQueue { get; set; } = 64;

    /// <summary>Total KV-cache positions reserved by running sequences (prompt + max tokens each); 0 = MaxBatch × context.</summary>
    public int MaxKvTokens { get; set; }

    /// <summary>A request (queued plus generating) is cancelled after this many seconds; 0 = no limit.</summary>
    public int RequestTimeoutSeconds { get; set; } = 600;

    /// <summary>On shutdown, running requests get this long to finish before they are cancelled.</summary>
    public int DrainTimeoutSeconds { get; set; } = 30;

    /// <summary>The <c>Retry-After</c> value sent with 429 and 503.</summary>
    public int RetryAfterSeconds { get; set; } = 1;
}
