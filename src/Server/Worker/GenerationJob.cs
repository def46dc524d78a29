using System.Diagnostics;
using System.Threading.Channels;
using SteerServer.Models.Generation;

namespace SteerServer.Server.Worker;

/// <summary>
/// One accepted request on its way through the worker: its sequences (n choices × prompts), the channel they
/// all report to, its Influence pass if it asked for one, and the token that cancels it (client gone or request
/// timeout), queued or running.
/// </summary>
public sealed class GenerationJob
{
    public GenerationJob(Func<ChannelWriter<SequenceUpdate>, IReadOnlyList<Sequence>> createSequences, CancellationToken cancellation,
        CapturePass? influence = null)
    {
        Cancellation = cancellation;
        Sequences = createSequences(updates.Writer);
        Influence = influence;
    }

    private readonly Channel<SequenceUpdate> updates = Channel.CreateUnbounded<SequenceUpdate>(new UnboundedChannelOptions { SingleReader = true });

    public IReadOnlyList<Sequence> Sequences { get; }
    public CapturePass? Influence { get; }
    public ChannelReader<SequenceUpdate> Updates => updates.Reader;
    public CancellationToken Cancellation { get; }
    public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>Ends every sequence of a job that never reached the batch (cancelled while queued, or shut down).</summary>
    internal void CancelQueued()
    {
        Influence?.Cancel();
        foreach (var s in Sequences)
            updates.Writer.TryWrite(new SequenceUpdate(s.Index, "", [], SequenceFinish.Cancelled, s.Prompt.Length, 0));
    }
}
