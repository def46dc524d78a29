using SteerServer.Models.Generation;
using SteerServer.Models.Inference;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Influence;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests;

/// <summary>
/// End to end on the real engine: each steered golden case, given as substrings and GUIDE tags, must
/// reproduce the golden logits, prompt top-5, greedy ids and greedy top-5 (1e-3); Influence and Rollout
/// vectors within 1e-4 for delta_influence 0 and 1.
/// </summary>
public class SteeredGoldenTests
{
    public static TheoryData<string, string> Cases() => GoldenOffsetsTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generate_GoldenCaseAsRequest_MatchesSteeredGolden(string model, string caseName)
    {
        var golden = SteeringGolden.Load("steering", model);
        var c = golden.Case(caseName);
        // The prompt goes through the real tokenizer: its ids and offsets must be the golden's.
        int[] prompt = [];
        var (plan, _, _, _) = GoldenOffsetsTests.PlanCase(golden, c, GuideLevel.Mid, text =>
        {
            var (p, encoded) = TestModels.Tokenize(model, text);
            prompt = encoded;
            return p;
        });
        Assert.Equal(golden.PromptIds, prompt);
        var backend = TestModels.Get(model).Backend;
        int vocab = backend.Config.VocabSize;

        var all = new float[prompt.Length * vocab];
        backend.Forward(backend.CreateCache(prompt.Length), prompt, plan.Offsets, all, allPositions: true);
        GoldenAssert.Logits(c.GetProperty("logits_last"), all.AsSpan((prompt.Length - 1) * vocab), $"{model}/{caseName} logits_last");
        var top5 = c.GetProperty("prompt_top5");
        for (int i = 0; i < prompt.Length; i++)
            GoldenAssert.Top5(top5[i], all.AsSpan(i * vocab, vocab), $"{model}/{caseName} prompt_top5[{i}]");

        var greedy = c.GetProperty("greedy");
        int steps = greedy.GetProperty("ids").GetArrayLength();
        var cache = backend.CreateCache(prompt.Length + steps);
        var logits = new float[vocab];
        backend.Forward(cache, prompt, plan.Offsets, logits);
        var ids = new int[steps];
        for (int s = 0; s < steps; s++)
        {
            GoldenAssert.Top5(greedy.GetProperty("top5")[s], logits, $"{model}/{caseName} greedy.top5[{s}]");
            ids[s] = Sampler.ArgMax(logits);
            if (s + 1 < steps) backend.DecodeBatch([cache], [ids[s]], [plan.Offsets], logits);
        }
        Assert.Equal(greedy.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), ids);
    }

    [Theory]
    [MemberData(nameof(GoldenCases.Influence), MemberType = typeof(GoldenCases))]
    public void Influence_TaggedSpan_MatchesGolden(string model, string metric, double deltaInfluence)
    {
        var golden = SteeringGolden.Load("influence", model);
        var x = GuideTags.Extract([golden.Tagged(golden.Root.GetProperty("span"), GuideLevel.Influence)]);
        Assert.Equal(golden.PromptText, x.Contents[0]);
        var modelObj = TestModels.Get(model);
        var request = new SteeringRequest
        {
            Influence = metric == "influence" ? InfluenceMetric.Influence : InfluenceMetric.AttentionRollout,
            DeltaInfluence = deltaInfluence,
        };
        var (prompt, ids) = TestModels.Tokenize(model, x.Contents[0]!);
        Assert.Equal(golden.PromptIds, ids);
        var plan = SteeringPlanner.Plan(request, prompt, x.Spans, SteeringLimits.From(modelObj.Config));
        Assert.Null(plan.Offsets);
        var result = InfluenceRunner.Run(modelObj.Backend, plan.Influence!, ids);
        Assert.Equal(ids, result.Tokens);

        var expected = golden.Root.GetProperty("results").EnumerateArray()
            .First(r => r.GetProperty("delta_influence").GetDouble() == deltaInfluence)
            .GetProperty(metric == "influence" ? "influence" : "rollout");
        int numLayers = modelObj.Config.NumHiddenLayers;
        Assert.Equal(numLayers + 1, result.Layers.Count);
        for (int l = -1; l < numLayers; l++)
        {
            var want = expected.GetProperty(l.ToString(System.Globalization.CultureInfo.InvariantCulture)).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var got = result.Layers[l + 1];
            Assert.Equal(want.Length, got.Length);
            for (int t = 0; t < want.Length; t++)
                Assert.True(Math.Abs(want[t] - got[t]) <= Tolerances.Influence, $"{model} {metric} δ={deltaInfluence} layer {l} token {t}: {got[t]} vs {want[t]}");
        }
    }
}
