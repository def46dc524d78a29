using System.Text.Json;
using SteerServer.Models.Generation;
using SteerServer.Models.Inference;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Inference;

/// <summary>The engine against every file of golden/baseline (an independent float64 reference).</summary>
public class BaselineGoldenTests
{
    public static TheoryData<string> ModelNames => new()
    {
        "stories260K", "stories260K-bf16", "tiny-qwen2", "tiny-mistral", "tiny-llama3", "tiny-qwen3",
    };

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void RopeInvFreq_MatchesGolden(string name)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", name));
        var expected = GoldenAssert.Doubles(golden.GetProperty("rope_inv_freq"));
        var actual = ((CpuBackend)ModelCache.Get(name).Backend).RopeInverseFrequencies;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= Tolerances.Relative * Math.Abs(expected[i]) + 1e-12,
                $"inv_freq[{i}] = {actual[i]:g7}, golden {expected[i]:g7}");
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Prefill_AllPositions_MatchesLogitsLastAndPromptTop5(string name)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", name));
        var backend = ModelCache.Get(name).Backend;
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        int vocab = backend.Config.VocabSize;
        var logits = new float[prompt.Length * vocab];
        var cache = backend.CreateCache(prompt.Length);
        backend.Forward(cache, prompt, null, logits, allPositions: true);
        Assert.Equal(prompt.Length, cache.Length);

        GoldenAssert.Logits(golden.GetProperty("logits_last"), logits.AsSpan((prompt.Length - 1) * vocab, vocab), $"{name} logits_last");
        var top5 = golden.GetProperty("prompt_top5");
        for (int i = 0; i < prompt.Length; i++)
            GoldenAssert.Top5(top5[i], logits.AsSpan(i * vocab, vocab), $"{name} prompt_top5[{i}]");
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Greedy_WithKvCache_MatchesIdsAndTop5(string name)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", name));
        var backend = ModelCache.Get(name).Backend;
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        var (ids, stepLogits) = Greedy(backend, prompt, null, golden.GetProperty("n_steps").GetInt32());
        CheckGreedy(golden.GetProperty("greedy"), ids, stepLogits, name);
    }

    [Fact]
    public void LastOnly_EqualsLastRowOfAllPositions()
    {
        var backend = ModelCache.Get("tiny-qwen3").Backend;
        int[] prompt = [1, 403, 407, 261, 378, 5, 99];
        int vocab = backend.Config.VocabSize;
        var all = new float[prompt.Length * vocab];
        backend.Forward(backend.CreateCache(16), prompt, null, all, allPositions: true);
        var last = new float[vocab];
        backend.Forward(backend.CreateCache(16), prompt, null, last);
        Assert.Equal(all.AsSpan((prompt.Length - 1) * vocab).ToArray(), last);
    }

    [Fact]
    public void DecodeBatch_MixedLengths_EqualsOneSequenceAtATime()
    {
        // Three sequences at different positions, one with a sliding window in play, decoded as one batch.
        var backend = ModelCache.Get("tiny-mistral").Backend;
        int vocab = backend.Config.VocabSize;
        int[][] prompts = [[1, 403, 407, 261, 378, 432, 383, 286, 261], [1, 20, 30], [1, 403, 407, 261, 378]];
        int[] next = [376, 298, 315];
        var expected = new float[prompts.Length][];
        for (int i = 0; i < prompts.Length; i++)
        {
            var c = backend.CreateCache(32);
            backend.Forward(c, prompts[i], null, new float[vocab]);
            expected[i] = new float[vocab];
            backend.DecodeBatch([c], [next[i]], [null], expected[i]);
        }
        var caches = prompts.Select(p => { var c = backend.CreateCache(32); backend.Forward(c, p, null, new float[vocab]); return c; }).ToArray();
        var batched = new float[prompts.Length * vocab];
        backend.DecodeBatch(caches, next, new AttentionOffsets?[prompts.Length], batched);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(prompts[i].Length + 1, caches[i].Length);
            for (int v = 0; v < vocab; v++)
                Assert.True(Math.Abs(expected[i][v] - batched[i * vocab + v]) <= 1e-5, $"seq {i} id {v}: {expected[i][v]} vs {batched[i * vocab + v]}");
        }
    }

    [Fact]
    public void Forward_InChunks_EqualsOnePrefill()
    {
        // Extending a cache (prompt in two calls) must equal one prefill: the cache is reusable.
        var backend = ModelCache.Get("tiny-qwen2").Backend;
        int vocab = backend.Config.VocabSize;
        int[] prompt = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376];
        var whole = new float[vocab];
        backend.Forward(backend.CreateCache(16), prompt, null, whole);
        var cache = backend.CreateCache(16);
        var part = new float[vocab];
        backend.Forward(cache, prompt.AsSpan(0, 4), null, part);
        backend.Forward(cache, prompt.AsSpan(4), null, part);
        for (int v = 0; v < vocab; v++) Assert.True(Math.Abs(whole[v] - part[v]) <= 1e-5);
        cache.Truncate(4);
        backend.Forward(cache, prompt.AsSpan(4), null, part);
        for (int v = 0; v < vocab; v++) Assert.True(Math.Abs(whole[v] - part[v]) <= 1e-5);
    }

    /// <summary>Prefill, then one <see cref="IModelBackend.DecodeBatch"/> step per token; returns the ids and the logits each was chosen from.</summary>
    internal static (int[] Ids, float[][] StepLogits) Greedy(IModelBackend backend, int[] prompt, AttentionOffsets? offsets, int steps)
    {
        int vocab = backend.Config.VocabSize;
        var cache = backend.CreateCache(prompt.Length + steps);
        var logits = new float[vocab];
        backend.Forward(cache, prompt, offsets, logits);
        var ids = new int[steps];
        var stepLogits = new float[steps][];
        for (int s = 0; s < steps; s++)
        {
            stepLogits[s] = (float[])logits.Clone();
            ids[s] = Sampler.ArgMax(logits);
            if (s + 1 < steps) backend.DecodeBatch([cache], [ids[s]], [offsets], logits);
        }
        return (ids, stepLogits);
    }

    internal static void CheckGreedy(JsonElement greedy, int[] ids, float[][] stepLogits, string what)
    {
        Assert.Equal(GoldenAssert.Ints(greedy.GetProperty("ids")), ids);
        var top5 = greedy.GetProperty("top5");
        for (int s = 0; s < ids.Length; s++)
            GoldenAssert.Top5(top5[s], stepLogits[s], $"{what} greedy.top5[{s}]");
    }
}
