using SteerServer.Models.Inference;

namespace SteerServer.Models.Generation;

/// <summary>
/// A prompt-only forward that records attention statistics (the Influence pass), scheduled by the
/// <see cref="Scheduler"/> like any prefill: in chunks between other sequences' decode steps, cancelled with its
/// client. Its <see cref="AttentionCapture"/> is allocated when the pass starts, not when it is queued.
/// </summary>
public sealed class CapturePass
{
    private readonly TaskCompletionSource<AttentionCapture> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CapturePass(int[] prompt, AttentionOffsets? offsets, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfZero(prompt.Length, nameof(prompt));
        Prompt = prompt;
        Offsets = offsets;
        Cancellation = cancellation;
    }

    public int[] Prompt { get; }

    /// <summary>Offsets of every row of the pass (null = none).</summary>
    public AttentionOffsets? Offsets { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>The filled capture; cancelled or faulted when the pass does not complete.</summary>
    public Task<AttentionCapture> Completion => completion.Task;

    /// <summary>Memory a pass over <paramref name="promptLength"/> tokens holds: numLayers × (T² + 2T) floats.</summary>
    public static long CaptureBytes(int numLayers, int promptLength) =>
        sizeof(float) * (long)numLayers * ((long)promptLength * promptLength + 2L * promptLength);

    internal void Complete(AttentionCapture capture) => completion.TrySetResult(capture);

    internal void Fail(Exception error) => completion.TrySetException(error);

    /// <summary>Ends a pass that will not run (cancelled while queued, or shut down).</summary>
    public void Cancel() => completion.TrySetCanceled(Cancellation.IsCancellationRequested ? Cancellation : new CancellationToken(true));
}
