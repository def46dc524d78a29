using System.Threading.Channels;
using SteerServer.Models.Inference;
using SteerServer.Models.Tokenization;

namespace SteerServer.Models.Generation;

/// <summary>
/// One generation in the <see cref="Scheduler"/>: its prompt, its own sampler, KV cache and steering offsets, the
/// incremental detokenizer and stop matcher that turn tokens into safe text, and the channel its updates go to.
/// The scheduler owns it while it runs; everything here is touched by the worker thread only.
/// </summary>
public sealed class Sequence
{
    private readonly List<int> generated = [];
    private readonly List<SampledToken> pendingTokens = []; // sampled, their text not emitted yet
    private readonly StreamingDetokenizer detokenizer;
    private readonly StopMatcher stop;
    private readonly HashSet<int> eosIds;
    private readonly ChannelWriter<SequenceUpdate> output;

    public Sequence(int index, int[] prompt, Sampler sampler, AttentionOffsets? offsets, int maxNewTokens,
        IEnumerable<int> eosIds, StreamingDetokenizer detokenizer, IReadOnlyList<string> stop,
        ChannelWriter<SequenceUpdate> output, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfZero(prompt.Length, nameof(prompt));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNewTokens);
        Index = index;
        Prompt = prompt;
        Sampler = sampler;
        Offsets = offsets;
        MaxNewTokens = maxNewTokens;
        this.eosIds = [.. eosIds];
        this.detokenizer = detokenizer;
        this.stop = new StopMatcher(stop);
        this.output = output;
        Cancellation = cancellation;
    }

    /// <summary>The choice index this sequence reports under.</summary>
    public int Index { get; }
    public int[] Prompt { get; }
    public Sampler Sampler { get; }
    public AttentionOffsets? Offsets { get; }
    public int MaxNewTokens { get; }
    public CancellationToken Cancellation { get; }
    public IReadOnlyList<int> Generated => generated;

    /// <summary>KV positions this sequence may need: the prompt plus every generated token but the last.</summary>
    public int Capacity => Prompt.Length + MaxNewTokens;

    public SequenceFinish? Finish { get; private set; }

    /// <summary>Takes a sampled token: emits the text it completes and decides whether the sequence is done.</summary>
    internal bool Accept(SampledToken token)
    {
        generated.Add(token.Id);
        if (eosIds.Contains(token.Id))
            return Complete(SequenceFinish.Stop, stop.Push(detokenizer.Flush()) + stop.Flush());

        pendingTokens.Add(token);
        var text = stop.Push(detokenizer.Add(token.Id));
        if (stop.Matched) return Complete(SequenceFinish.Stop, text);
        if (generated.Count >= MaxNewTokens)
        {
            text += stop.Push(detokenizer.Flush());
            return stop.Matched ? Complete(SequenceFinish.Stop, text) : Complete(SequenceFinish.Length, text + stop.Flush());
        }
        if (text.Length > 0)
        {
            output.TryWrite(new SequenceUpdate(Index, text, [.. pendingTokens]));
            pendingTokens.Clear();
        }
        return false;
    }

    /// <summary>Ends the sequence as cancelled (also for one that never reached the batch).</summary>
    public void Cancel() => End(new SequenceUpdate(Index, "", [], SequenceFinish.Cancelled, Prompt.Length, generated.Count));

    internal void Fail(Exception error) =>
        End(new SequenceUpdate(Index, "", [], SequenceFinish.Error, Prompt.Length, generated.Count, error));

    private bool Complete(SequenceFinish finish, string text)
    {
        End(new SequenceUpdate(Index, text, [.. pendingTokens], finish, Prompt.Length, generated.Count));
        pendingTokens.Clear();
        return true;
    }

    private void End(SequenceUpdate last)
    {
        if (Finish is not null) return;
        Finish = last.Finish;
        output.TryWrite(last);
    }
}
