using System.Threading.Channels;
using SteerServer.Models.Generation;
using SteerServer.Models.Inference;
using SteerServer.Models.Tokenization;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Generation;

/// <summary>The continuous-batching loop on the real stories260K engine.</summary>
public sealed class SchedulerTests : IDisposable
{
    private readonly Model model = Model.Load(TestDataPaths.Models("stories260K"));
    private readonly Tokenizer tokenizer = Tokenizer.Load(TestDataPaths.Models("stories260K"));

    public void Dispose() => model.Dispose();

    private Sequence Seq(int index, int[] prompt, int maxNew, ChannelWriter<SequenceUpdate> output, CancellationToken ct = default, AttentionOffsets? offsets = null) =>
        new(index, prompt, new Sampler(SamplingParams.Greedy), offsets, maxNew, model.Config.EosTokenIds,
            tokenizer.CreateStreamingDetokenizer(true), [], output, ct);

    private static List<int> RunToEnd(Scheduler s) { var steps = new List<int>(); while (s.Count > 0) { steps.Add(s.Count); s.Step(); } return steps; }

    [Fact]
    public void Batched_SameTokensAsAlone_JoiningBetweenSteps()
    {
        int[][] prompts = [[1, 403, 407, 261, 378], [1, 368, 411], [1, 440, 417, 297]];
        var alone = prompts.Select(p =>
        {
            var s = new Scheduler(model.Backend, 1, 4096);
            var seq = Seq(0, p, 20, Channel.CreateUnbounded<SequenceUpdate>().Writer);
            s.Admit(seq);
            RunToEnd(s);
            return seq.Generated.ToArray();
        }).ToList();

        var batch = new Scheduler(model.Backend, 4, 4096);
        var seqs = prompts.Select((p, i) => Seq(i, p, 20, Channel.CreateUnbounded<SequenceUpdate>().Writer)).ToList();
        batch.Admit(seqs[0]);
        batch.Step();
        batch.Step();            // the others join between decode steps
        batch.Admit(seqs[1]);
        batch.Admit(seqs[2]);
        Assert.Equal(3, batch.Count);
        RunToEnd(batch);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(alone[i], seqs[i].Generated);
    }

    [Fact]
    public void Cancelled_LeavesBeforeNextStep_OthersFinish()
    {
        using var cts = new CancellationTokenSource();
        var updates = Channel.CreateUnbounded<SequenceUpdate>();
        var s = new Scheduler(model.Backend, 4, 4096);
        var cancelled = Seq(0, [1, 403, 407], 100, updates.Writer, cts.Token);
        var other = Seq(1, [1, 368, 411], 10, updates.Writer);
        var left = new List<Sequence>();
        s.Completed = left.Add;
        s.Admit(cancelled);
        s.Admit(other);
        s.Step();
        int before = cancelled.Generated.Count;
        cts.Cancel();
        s.Step();
        Assert.Equal(before, cancelled.Generated.Count); // not decoded again
        Assert.Equal(SequenceFinish.Cancelled, cancelled.Finish);
        RunToEnd(s);
        Assert.Equal(SequenceFinish.Length, other.Finish);
        Assert.Equal(10, other.Generated.Count);
        Assert.Equal([cancelled, other], left);
    }

    [Fact]
    public void FailingSequence_EndsWithError_OthersServed()
    {
        var updates = Channel.CreateUnbounded<SequenceUpdate>();
        var s = new Scheduler(model.Backend, 4, 4096);
        var good = Seq(0, [1, 403, 407], 8, updates.Writer);
        // Offsets shaped for another model: the engine refuses them for this sequence only.
        var bad = Seq(1, [1, 368, 411], 8, updates.Writer, offsets: new AttentionOffsets(2, 3, 3));
        s.Admit(good);
        s.Admit(bad);
        RunToEnd(s);
        Assert.Equal(SequenceFinish.Error, bad.Finish);
        Assert.Equal(SequenceFinish.Length, good.Finish);
        var all = new List<SequenceUpdate>();
        while (updates.Reader.TryRead(out var u)) all.Add(u);
        Assert.NotNull(Assert.Single(all, u => u.Index == 1).Error);
        Assert.Equal(8, all.Single(u => u.Index == 0 && u.Finish is not null).CompletionTokens);
    }

    [Fact]
    public void KvBudget_LimitsAdmission_EmptyBatchTakesAnything()
    {
        var w = Channel.CreateUnbounded<SequenceUpdate>().Writer;
        var s = new Scheduler(model.Backend, 8, 40);
        var a = Seq(0, [1, 403, 407], 30, w);
        var b = Seq(1, [1, 368, 411], 30, w);
        Assert.True(s.CanAdmit(a)); // 33 > 40? no; and an empty batch takes any sequence
        s.Admit(a);
        Assert.False(s.CanAdmit(b)); // 33 + 33 > 40
        RunToEnd(s);
        Assert.True(s.CanAdmit(b));
    }
}
