using System.Globalization;
using System.Text.Json;
using SteerServer.Models.Generation;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.Steering;
using SteerServer.Steering.Influence;
using SteerServer.Steering.Spans;
using SteerServer.TestData;

namespace SteerServer.Backends.Contract;

/// <summary>The goldens of shared/testdata/golden every backend must meet (tolerances of golden/README.md).</summary>
public abstract partial class BackendContractSuite
{
    public static TheoryData<string> BaselineModels => new()
    {
        "stories260K", "stories260K-bf16", "tiny-qwen2", "tiny-mistral", "tiny-llama3", "tiny-qwen3",
    };

    // shared/testdata/README.md §1: llama2.c run.c's greedy continuation of "Once upon a time" (ids 1,403,407,261,378).
    private static readonly int[] Llama2cIds =
        [432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394];

    [Theory]
    [MemberData(nameof(BaselineModels))]
    public void Baseline_PrefillAllPositions_MatchesLogitsLastAndPromptTop5(string name)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", name));
        var backend = Backend(name);
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
    [MemberData(nameof(BaselineModels))]
    public void Baseline_GreedyWithKvCache_MatchesIdsAndTop5(string name)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", name));
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        var (ids, stepLogits) = Greedy(Backend(name), prompt, null, golden.GetProperty("n_steps").GetInt32());
        CheckGreedy(golden.GetProperty("greedy"), ids, stepLogits, name);
    }

    [Fact]
    public void Baseline_Bf16LoadedAsF32_MatchesTheBf16Golden()
    {
        // Upcasting bf16 to f32 at load is exact, so the converted model must still match its golden.
        var backend = Load("stories260K-bf16", DType.F32);
        Assert.Equal("f32", backend.Info.DType);
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", "stories260K-bf16"));
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        var logits = new float[backend.Config.VocabSize];
        backend.Forward(backend.CreateCache(prompt.Length), prompt, null, logits);
        GoldenAssert.Logits(golden.GetProperty("logits_last"), logits, "stories260K-bf16 as f32");
    }

    [Theory]
    [InlineData("stories260K")]
    [InlineData("stories260K-bf16")]
    public void Stories260K_Greedy_IsLlama2cRunC(string name)
    {
        var (ids, _) = Greedy(Backend(name), [1, 403, 407, 261, 378], null, Llama2cIds.Length);
        Assert.Equal(Llama2cIds, ids);
    }

    public static TheoryData<string, string> SteeringCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "stories260K", "tiny-qwen2" })
            foreach (var c in GoldenAssert.Load(TestDataPaths.Golden("steering", model)).GetProperty("cases").EnumerateArray())
                data.Add(model, c.GetProperty("name").GetString()!);
        return data;
    }

    /// <summary>Each golden/steering case's explicit offsets: prefill steered, decode steps only when steer_decode.</summary>
    [Theory]
    [MemberData(nameof(SteeringCases))]
    public void Steering_ExplicitOffsets_ReproduceCase(string model, string caseName)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("steering", model));
        var c = golden.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == caseName);
        var backend = Backend(model);
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        var offsets = GoldenOffsets(backend, c, prompt.Length);
        int vocab = backend.Config.VocabSize;

        var logits = new float[prompt.Length * vocab];
        backend.Forward(backend.CreateCache(prompt.Length), prompt, offsets, logits, allPositions: true);
        GoldenAssert.Logits(c.GetProperty("logits_last"), logits.AsSpan((prompt.Length - 1) * vocab, vocab), $"{caseName} logits_last");
        for (int i = 0; i < prompt.Length; i++)
            GoldenAssert.Top5(c.GetProperty("prompt_top5")[i], logits.AsSpan(i * vocab, vocab), $"{caseName} prompt_top5[{i}]");

        var (ids, stepLogits) = Greedy(backend, prompt, offsets, golden.GetProperty("n_steps").GetInt32());
        CheckGreedy(c.GetProperty("greedy"), ids, stepLogits, caseName);
    }

    /// <summary>Influence and Rollout of golden/influence's span, from the backend's attention capture (1e-4).</summary>
    [Theory]
    [MemberData(nameof(GoldenCases.Influence), MemberType = typeof(GoldenCases))]
    public void Influence_OfTheGoldenSpan_MatchesGolden(string model, string metric, double deltaInfluence)
    {
        var backend = Backend(model);
        if (!backend.Info.CanCaptureAttention) return; // such a backend refuses Influence requests (checked above)
        var golden = GoldenAssert.Load(TestDataPaths.Golden("influence", model));
        var ids = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        var range = golden.GetProperty("span").GetProperty("token_range_half_open");
        var plan = InfluencePlan.Create(metric == "influence" ? InfluenceMetric.Influence : InfluenceMetric.AttentionRollout,
            [new TokenRange(range[0].GetInt32(), range[1].GetInt32())], deltaInfluence,
            backend.Config.NumHiddenLayers, backend.Config.NumAttentionHeads, ids.Length);
        var result = InfluenceRunner.Run(backend, plan, ids);
        Assert.Equal(ids, result.Tokens);

        var expected = golden.GetProperty("results").EnumerateArray()
            .First(r => r.GetProperty("delta_influence").GetDouble() == deltaInfluence)
            .GetProperty(metric == "influence" ? "influence" : "rollout");
        int numLayers = backend.Config.NumHiddenLayers;
        Assert.Equal(numLayers + 1, result.Layers.Count);
        for (int l = -1; l < numLayers; l++)
        {
            var want = GoldenAssert.Doubles(expected.GetProperty(l.ToString(CultureInfo.InvariantCulture)));
            var got = result.Layers[l + 1];
            Assert.Equal(want.Length, got.Length);
            for (int t = 0; t < want.Length; t++)
                Assert.True(Math.Abs(want[t] - got[t]) <= Tolerances.Influence, $"{model} {metric} δ={deltaInfluence} layer {l} token {t}: {got[t]} vs {want[t]}");
        }
    }

    [Fact]
    public void Capture_InChunks_EqualsCaptureOfOnePass()
    {
        var b = Backend("tiny-qwen2");
        if (!b.Info.CanCaptureAttention) return;
        var prompt = Prompt(20, b.Config.VocabSize, 51);
        int layers = b.Config.NumHiddenLayers;
        var whole = new AttentionCapture(layers, prompt.Length);
        b.Forward(b.CreateCache(prompt.Length), prompt, null, new float[b.Config.VocabSize], capture: whole);
        var chunked = new AttentionCapture(layers, prompt.Length);
        var cache = b.CreateCache(prompt.Length);
        var other = b.CreateCache(8);
        for (int start = 0; start < prompt.Length; start += 6)
        {
            int n = Math.Min(6, prompt.Length - start);
            // Beside another sequence's row, as the scheduler runs it.
            b.Run([new BatchItem(other, new[] { 1 + start / 6 }), new BatchItem(cache, prompt.AsMemory(start, n), Logits: LogitsMode.None, Capture: chunked)],
                new float[b.Config.VocabSize]);
        }
        for (int l = 0; l < layers; l++)
        {
            AssertClose(whole.AvgAttention[l], chunked.AvgAttention[l], $"layer {l} attention");
            AssertClose(whole.InputNormL1[l], chunked.InputNormL1[l], $"layer {l} input norms");
            AssertClose(whole.OutputNormL1[l], chunked.OutputNormL1[l], $"layer {l} output norms");
        }
    }

    /// <summary>Prefill, then one decode step per token; returns the ids and the logits each was chosen from.</summary>
    private static (int[] Ids, float[][] StepLogits) Greedy(IModelBackend backend, int[] prompt, AttentionOffsets? offsets, int steps)
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

    private static void CheckGreedy(JsonElement greedy, int[] ids, float[][] stepLogits, string what)
    {
        Assert.Equal(GoldenAssert.Ints(greedy.GetProperty("ids")), ids);
        var top5 = greedy.GetProperty("top5");
        for (int s = 0; s < ids.Length; s++)
            GoldenAssert.Top5(top5[s], stepLogits[s], $"{what} greedy.top5[{s}]");
    }

    private static AttentionOffsets GoldenOffsets(IModelBackend backend, JsonElement c, int promptLength)
    {
        var offsets = new AttentionOffsets(backend.Config.NumHiddenLayers, backend.Config.NumAttentionHeads, promptLength,
            c.GetProperty("steer_decode").GetBoolean());
        foreach (var o in c.GetProperty("offsets").EnumerateArray())
        {
            var values = GoldenAssert.Doubles(o.GetProperty("values"));
            Assert.Equal(promptLength, values.Length);
            foreach (var head in o.GetProperty("heads").EnumerateArray())
            {
                var row = offsets.GetOrCreate(o.GetProperty("layer").GetInt32(), head.GetInt32());
                for (int j = 0; j < values.Length; j++) row[j] += (float)values[j];
            }
        }
        return offsets;
    }
}
