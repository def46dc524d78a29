using SteerServer.Models.Errors;
using SteerServer.Models.Generation;

namespace SteerServer.Models.Tests.Generation;

public class SamplerTests
{
    private static float[] Logits(params float[] v) => v;

    [Fact]
    public void Greedy_TakesArgmax_TiesToLowerId()
    {
        var s = new Sampler(SamplingParams.Greedy);
        Assert.Equal(1, s.Sample(Logits(0, 3, 3, 1), []).Id);
    }

    [Fact]
    public void ArgMax_IsTheScalarRule_AtEveryPositionAndLength()
    {
        // The vector search must give what "first i with logits[i] > all before" gives: ties to the lower id (−0 and +0
        // tie), a NaN never chosen, a NaN first keeps index 0; at every position of lengths around the vector width.
        static int Scalar(float[] v) { int best = 0; for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i; return best; }
        var rng = new Random(4);
        foreach (int length in new[] { 1, 7, 8, 9, 17, 64, 151936 % 1000 + 3 })
            for (int at = 0; at < length; at++)
            {
                var v = new float[length];
                for (int i = 0; i < length; i++) v[i] = rng.Next(-3, 3);
                v[at] = 5;
                if (at + 3 < length) v[at + 3] = 5;                 // a later tie
                Assert.Equal(Scalar(v), Sampler.ArgMax(v));
                if (length > 2) { v[length / 2] = float.NaN; Assert.Equal(Scalar(v), Sampler.ArgMax(v)); }
            }
        Assert.Equal(1, Sampler.ArgMax([-1f, -0f, 0f, -0f]));
        Assert.Equal(0, Sampler.ArgMax([float.NaN, 3f, 4f]));
    }

    [Fact]
    public void Logprobs_AreLogSoftmax_AndTopListIsSorted()
    {
        var s = new Sampler(SamplingParams.Greedy with { TopLogprobs = 3 });
        var t = s.Sample(Logits(1, 2, 3, 0), []);
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3) + Math.Exp(0));
        Assert.Equal(2, t.Id);
        Assert.Equal(3 - lse, t.Logprob, 5);
        Assert.Equal([2, 1, 0], t.TopLogprobs.Select(x => x.Id));
        Assert.Equal(2 - lse, t.TopLogprobs[1].Logprob, 5);
    }

    [Fact]
    public void SameSeed_SameTokens_DifferentSeed_DifferentTokens()
    {
        var logits = Enumerable.Range(0, 50).Select(i => (float)Math.Sin(i)).ToArray();
        int[] Run(long seed)
        {
            var s = new Sampler(new SamplingParams { Temperature = 1.5f, Seed = seed });
            return Enumerable.Range(0, 40).Select(_ => s.Sample((float[])logits.Clone(), []).Id).ToArray();
        }
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void Sampling_FollowsTheDistribution()
    {
        // p = softmax(ln 1, ln 3) = (0.25, 0.75)
        var s = new Sampler(new SamplingParams { Seed = 1 });
        int ones = 0, n = 20000;
        for (int i = 0; i < n; i++) ones += s.Sample(Logits(0, MathF.Log(3)), []).Id;
        Assert.InRange(ones / (double)n, 0.73, 0.77);
    }

    [Fact]
    public void TopK_TopP_MinP_RestrictCandidates()
    {
        var logits = Logits(MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f));
        HashSet<int> Seen(SamplingParams p)
        {
            var s = new Sampler(p with { Seed = 3 });
            return Enumerable.Range(0, 3000).Select(_ => s.Sample((float[])logits.Clone(), []).Id).ToHashSet();
        }
        Assert.Equal([0, 1], Seen(new SamplingParams { TopK = 2 }).Order());
        Assert.Equal([0, 1], Seen(new SamplingParams { TopP = 0.8f }).Order());          // 0.5 + 0.3 reaches 0.8
        Assert.Equal([0, 1, 2], Seen(new SamplingParams { TopP = 0.81f }).Order());
        Assert.Equal([0, 1, 2], Seen(new SamplingParams { MinP = 0.25f }).Order());      // keep p ≥ 0.125
        Assert.Equal([0, 1, 2, 3], Seen(new SamplingParams()).Order());
    }

    [Fact]
    public void Penalties_AndLogitBias_ChangeTheChoice()
    {
        // Token 0 leads by 1.0; generated twice, a frequency penalty of 0.6 (1.2 total) hands it to token 1.
        Assert.Equal(1, new Sampler(SamplingParams.Greedy with { FrequencyPenalty = 0.6f }).Sample(Logits(2, 1, 0), [0, 0]).Id);
        Assert.Equal(0, new Sampler(SamplingParams.Greedy with { FrequencyPenalty = 0.4f }).Sample(Logits(2, 1, 0), [0, 0]).Id);
        // Presence counts once however often the token came.
        Assert.Equal(0, new Sampler(SamplingParams.Greedy with { PresencePenalty = 0.9f }).Sample(Logits(2, 1, 0), [0, 0, 0]).Id);
        Assert.Equal(1, new Sampler(SamplingParams.Greedy with { PresencePenalty = 1.1f }).Sample(Logits(2, 1, 0), [0, 0, 0]).Id);
        Assert.Equal(2, new Sampler(SamplingParams.Greedy with { LogitBias = new Dictionary<int, float> { [2] = 5 } }).Sample(Logits(2, 1, 0), []).Id);
    }

    [Fact]
    public void Validate_RejectsOutOfRange_NamingTheParameter()
    {
        Assert.Equal("top_p", Assert.Throws<SteerException>(() => new SamplingParams { TopP = 0 }.Validate(10)).Param);
        Assert.Equal("temperature", Assert.Throws<SteerException>(() => new SamplingParams { Temperature = -1 }.Validate(10)).Param);
        Assert.Equal("logit_bias.10", Assert.Throws<SteerException>(() => new SamplingParams { LogitBias = new Dictionary<int, float> { [10] = 1 } }.Validate(10)).Param);
    }

    [Fact]
    public void RepetitionPenalty_DividesPositiveMultipliesNegative_OverPromptAndOutput()
    {
        var p = SamplingParams.Greedy with { RepetitionPenalty = 2f, TopLogprobs = 3 };
        // id 0 is in the prompt: 3 / 2 = 1.5 < 2, so id 1 wins.
        Assert.Equal(1, new Sampler(p, [0]).Sample(Logits(3, 2, 0), []).Id);
        // id 1 was generated: -1 · 2 = -2 < -1.5.
        Assert.Equal(0, new Sampler(p).Sample(Logits(-1.5f, -1, -9), [1]).Id);
        // Counted once per distinct id, however often it occurs.
        var t = new Sampler(p, [0, 0, 0]).Sample(Logits(4, 0, 0), [0, 0]);
        double lse = Math.Log(Math.Exp(2) + 2);
        Assert.Equal(2 - lse, t.Logprob, 5);
    }

    [Fact]
    public void MinTokens_MasksEndIdsUntilReached()
    {
        var p = SamplingParams.Greedy with { MinTokens = 2, EndTokenIds = [0] };
        var s = new Sampler(p);
        Assert.Equal(1, s.Sample(Logits(5, 1, 0), [7]).Id);
        Assert.Equal(0, s.Sample(Logits(5, 1, 0), [7, 1]).Id);
    }

    [Fact]
    public void Sample_WithEveryVllmField_AllocatesNothingPerToken()
    {
        var s = new Sampler(new SamplingParams { Temperature = 0.8f, TopK = 20, TopP = 0.9f, Seed = 1, RepetitionPenalty = 1.3f, MinTokens = 50, EndTokenIds = [2, 3], PresencePenalty = 0.5f }, [5, 6, 7]);
        var logits = new float[512];
        var generated = new List<int>(256);
        var rng = new Random(3);
        void Step()
        {
            for (int i = 0; i < logits.Length; i++) logits[i] = (float)rng.NextDouble();
            generated.Add(s.Sample(logits, generated).Id);
        }
        for (int i = 0; i < 10; i++) Step(); // scratch and seen sets are allocated on the first call
        // The runtime itself may allocate once while the sampler runs (tiered JIT promotes its methods after ~30 calls,
        // seen in a full test run as one 1448 B window). A per-token allocation shows in every window.
        var windows = new List<long>(3);
        for (int w = 0; w < 3; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++) Step();
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Contains(0L, windows);
    }
}
