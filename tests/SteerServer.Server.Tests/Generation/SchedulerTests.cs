using System.Threading.Channels;
using SteerServer.Models.Generation;
using SteerServer.Models.Inference;
using SteerServer.Models.Tokenization;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Generation;

/// <summary>The token-budget scheduler on the real stories260K engine.</summary>
public sealed class SchedulerTests : IDisposable
{
    private readonly Model model = Model.Load(TestDataPaths.Models("stories260K"));
    private readonly Tokenizer tokenizer = Tokenizer.Load(TestDataPaths.Models("stories260K"));

    public void Dispose() => model.Dispose();

    private Sequence Seq(int index, int[] prompt, int maxNew, ChannelWriter<SequenceUpdate>? output = null, CancellationToken ct = default,
        AttentionOffsets? offsets = null, SamplingParams? sampling = null) =>
        new(index, prompt, new Sampler(sampling ?? SamplingParams.Greedy), offsets, maxNew, [], // no EOS: every sequence runs to maxNew
            tokenizer.CreateStreamingDetokenizer(true), [], output ?? Channel.CreateUnbounded<SequenceUpdate>().Writer, ct);

    private static void RunToEnd(Scheduler s) { while (s.Step()) { } }

    private static int[] Prompt(int length, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(i => i == 0 ? 1 : rng.Next(3, 512))];
    }

    private AttentionOffsets Offsets(int promptLength, bool steerDecode)
    {
        var o = new AttentionOffsets(model.Config.NumHiddenLayers, model.Config.NumAttentionHeads, promptLength, steerDecode);
        for (int l = 0; l < model.Config.NumHiddenLayers; l++)
            for (int h = 0; h < model.Config.NumAttentionHeads; h += 2) o.GetOrCreate(l, h)[1] = 3f;
        return o;
    }

    private int[] Alone(int[] prompt, int maxNew, AttentionOffsets? offsets)
    {
        var s = new Scheduler(model.Backend, 1, 4096, 4096);
        var seq = Seq(0, prompt, maxNew, offsets: offsets);
        s.Add(seq);
        RunToEnd(s);
        return [.. seq.Generated];
    }

    [Theory]
    [InlineData(8, 4)]
    [InlineData(16, 2)]
    [InlineData(64, 8)]
    [InlineData(512, 3)]
    public void GreedyTokens_AreTheSame_WhateverTheChunking_BatchingAndArrival(int stepTokens, int maxBatch)
    {
        int[][] prompts = [Prompt(5, 1), Prompt(90, 2), Prompt(3, 3), Prompt(41, 4), Prompt(17, 5)];
        var offsets = new[] { null, Offsets(90, steerDecode: false), null, Offsets(41, steerDecode: true), null };
        var expected = prompts.Select((p, i) => Alone(p, 12, offsets[i])).ToList();

        var s = new Scheduler(model.Backend, maxBatch, 4096, stepTokens);
        var seqs = prompts.Select((p, i) => Seq(i, p, 12, offsets: offsets[i])).ToList();
        // Arrivals in a different order, some while others decode.
        s.Add(seqs[3]);
        s.Step();
        s.Add(seqs[1]);
        s.Add(seqs[0]);
        s.Step();
        s.Step();
        s.Add(seqs[4]);
        s.Add(seqs[2]);
        RunToEnd(s);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(expected[i], seqs[i].Generated);
        Assert.Equal(prompts.Sum(p => p.Length), s.PromptTokensComputed);
    }

    [Fact]
    public void LongPrompt_AdvancesInChunks_BetweenDecodeSteps()
    {
        var s = new Scheduler(model.Backend, 4, 4096, 32);
        var stream = Seq(0, Prompt(4, 6), 40);
        s.Add(stream);
        s.Step();
        s.Step();
        int before = stream.Generated.Count;
        var longOne = Seq(1, Prompt(300, 7), 4);
        s.Add(longOne);
        // 300 prompt tokens at 31 per step (one token goes to the decoding stream): the stream gains a token every step.
        for (int step = 0; step < 5; step++) s.Step();
        Assert.Equal(before + 5, stream.Generated.Count);
        Assert.Empty(longOne.Generated);
        RunToEnd(s);
        Assert.Equal(4, longOne.Generated.Count);
    }

    [Fact]
    public void TargetStepTime_SizesTheBudget_FromTheMeasuredCostPerToken()
    {
        var prompt = Prompt(100, 18);
        var expected = Alone(prompt, 3, null);
        var s = new Scheduler(model.Backend, 4, 4096, 256, targetStepSeconds: 1e-9); // every token is too dear
        var stream = Seq(0, Prompt(3, 19), 20);
        s.Add(stream);
        s.Step(); // nobody decodes yet: the whole budget (and the step is measured)
        Assert.Equal(3, s.PromptTokensComputed);
        var seq = Seq(1, prompt, 3);
        s.Add(seq);
        s.Step(); // a stream decodes and tokens are dear: the least that keeps the prompt advancing
        Assert.Equal(3 + Scheduler.MinPrefillTokens, s.PromptTokensComputed);
        RunToEnd(s);
        Assert.Equal(expected, seq.Generated);

        var generous = new Scheduler(model.Backend, 4, 4096, 64, targetStepSeconds: 1e6); // capped by MaxStepTokens
        generous.Add(Seq(0, Prompt(3, 19), 20));
        generous.Step();
        generous.Add(Seq(1, prompt, 3));
        generous.Step();
        Assert.Equal(3 + 64 - 1, generous.PromptTokensComputed); // one of the 64 went to the decoding stream
    }

    [Fact]
    public void CancelledDuringPrefill_StopsCostingWork_WithinOneStep()
    {
        using var cts = new CancellationTokenSource();
        var s = new Scheduler(model.Backend, 4, 4096, 16);
        var left = new List<Sequence>();
        s.Completed = left.Add;
        var longOne = Seq(0, Prompt(400, 8), 10, ct: cts.Token);
        var other = Seq(1, Prompt(3, 9), 30);
        s.Add(longOne);
        s.Add(other);
        for (int i = 0; i < 4; i++) s.Step();
        long computed = s.PromptTokensComputed;
        Assert.True(computed < 400);
        cts.Cancel();
        RunToEnd(s);
        Assert.Equal(SequenceFinish.Cancelled, longOne.Finish);
        Assert.Equal(SequenceFinish.Length, other.Finish);
        Assert.True(s.PromptTokensComputed <= computed + 3, $"{s.PromptTokensComputed - computed} prompt tokens computed after the cancel");
        Assert.Equal([longOne, other], left);
        Assert.Equal(0, s.KvTokensUsed);
    }

    [Fact]
    public void FailingSequence_EndsWithError_OthersServed()
    {
        var updates = Channel.CreateUnbounded<SequenceUpdate>();
        var s = new Scheduler(model.Backend, 4, 4096, 64);
        var good = Seq(0, [1, 403, 407], 8, updates.Writer);
        // Offsets shaped for another model: the engine refuses them for this sequence only.
        var bad = Seq(1, [1, 368, 411], 8, updates.Writer, offsets: new AttentionOffsets(2, 3, 3));
        s.Add(good);
        s.Add(bad);
        RunToEnd(s);
        Assert.Equal(SequenceFinish.Error, bad.Finish);
        Assert.Equal(SequenceFinish.Length, good.Finish);
        var all = new List<SequenceUpdate>();
        while (updates.Reader.TryRead(out var u)) all.Add(u);
        Assert.NotNull(Assert.Single(all, u => u.Index == 1).Error);
        Assert.Equal(8, all.Single(u => u.Index == 0 && u.Finish is not null).CompletionTokens);
    }

    [Fact]
    public void NChoices_ShareOnePrefill_AndEachSamplesItsOwn()
    {
        var prompt = Prompt(60, 10);
        var expected = Alone(prompt, 10, null);
        var s = new Scheduler(model.Backend, 8, 4096, 16);
        var greedy = Enumerable.Range(0, 3).Select(i => Seq(i, prompt, 10)).ToList();
        var sampled = Enumerable.Range(0, 2).Select(i => Seq(3 + i, prompt, 10, sampling: new SamplingParams { Temperature = 1.5f, Seed = 40 + i })).ToList();
        s.Add([.. greedy, .. sampled]); // one request's choices
        Assert.Equal(0, s.Count);
        s.Step();
        Assert.Equal(5, s.Count); // started together, one prefill chunk computed
        RunToEnd(s);
        foreach (var g in greedy) Assert.Equal(expected, g.Generated);
        Assert.NotEqual(sampled[0].Generated, sampled[1].Generated);
        Assert.Equal(prompt.Length, s.PromptTokensComputed); // one prefill for all five choices
    }

    [Fact]
    public void KvBudget_PreemptsTheNewest_AndRecomputesIt_WithTheSameTokens()
    {
        int[][] prompts = [Prompt(20, 11), Prompt(25, 12), Prompt(15, 13)];
        var offsets = new[] { null, Offsets(25, steerDecode: false), Offsets(15, steerDecode: true) };
        var expected = prompts.Select((p, i) => Alone(p, 40, offsets[i])).ToList();
        var s = new Scheduler(model.Backend, 3, 100, 32); // room for about one and a half sequences
        var seqs = prompts.Select((p, i) => Seq(i, p, 40, offsets: offsets[i])).ToList();
        s.Add(seqs);
        long maxUsed = 0;
        while (s.Step()) maxUsed = Math.Max(maxUsed, s.KvTokensUsed);
        Assert.True(s.Preemptions > 0);
        Assert.True(maxUsed <= 100, $"{maxUsed} KV positions held");
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(expected[i], seqs[i].Generated);
    }

    [Fact]
    public void OneSequenceLargerThanTheBudget_StillRunsAlone()
    {
        var s = new Scheduler(model.Backend, 4, 10, 16);
        var big = Seq(0, Prompt(30, 14), 20);
        s.Add(big);
        RunToEnd(s);
        Assert.Equal(SequenceFinish.Length, big.Finish);
    }

    [Fact]
    public async Task CapturePass_InChunksBesideDecoding_EqualsOneWholePass()
    {
        var prompt = Prompt(50, 15);
        int layers = model.Config.NumHiddenLayers;
        var whole = new AttentionCapture(layers, prompt.Length);
        model.Backend.Forward(model.Backend.CreateCache(prompt.Length), prompt, null, new float[model.Config.VocabSize], capture: whole);

        var s = new Scheduler(model.Backend, 4, 4096, 12);
        var stream = Seq(0, Prompt(4, 16), 30);
        s.Add(stream);
        s.Step();
        var pass = new CapturePass(prompt, null, default);
        s.Add(pass);
        RunToEnd(s);
        Assert.True(pass.Completion.IsCompletedSuccessfully);
        var chunked = await pass.Completion;
        for (int l = 0; l < layers; l++)
        {
            Assert.Equal(whole.AvgAttention[l], chunked.AvgAttention[l]);
            Assert.Equal(whole.InputNormL1[l], chunked.InputNormL1[l]);
        }
        Assert.Equal(30, stream.Generated.Count);
    }

    [Fact]
    public async Task CapturePasses_OnePerStep()
    {
        var s = new Scheduler(model.Backend, 4, 4096, 512);
        var a = new CapturePass(Prompt(50, 20), null, default);
        var b = new CapturePass(Prompt(40, 21), null, default);
        s.Add(a);
        s.Add(b);
        s.Step();
        Assert.Equal(50, s.PromptTokensComputed); // b waits: each capture is a forward of its own
        s.Step();
        Assert.Equal(90, s.PromptTokensComputed);
        await Task.WhenAll(a.Completion, b.Completion);
    }

    [Fact]
    public void CancelledCapturePass_EndsCancelled()
    {
        using var cts = new CancellationTokenSource();
        var s = new Scheduler(model.Backend, 4, 4096, 8);
        var pass = new CapturePass(Prompt(100, 17), null, cts.Token);
        s.Add(pass);
        s.Step();
        cts.Cancel();
        RunToEnd(s);
        Assert.True(pass.Completion.IsCanceled);
    }
}
