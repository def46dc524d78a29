using System.Text.Json;
using SteerServer.Models.Inference;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Inference;

/// <summary>
/// The explicit <c>offsets</c> of every case in golden/steering reproduce that case's logits, prompt top-5 and
/// greedy continuation (offsets in the prefill, and in every decode step only when <c>steer_decode</c>).
/// </summary>
public class SteeringOffsetsGoldenTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "stories260K", "tiny-qwen2" })
            foreach (var c in GoldenAssert.Load(TestDataPaths.Golden("steering", model)).GetProperty("cases").EnumerateArray())
                data.Add(model, c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExplicitOffsets_ReproduceCase(string model, string caseName)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("steering", model));
        var c = golden.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == caseName);
        var backend = ModelCache.Get(model).Backend;
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        var offsets = BuildOffsets(backend, c, prompt.Length);
        int vocab = backend.Config.VocabSize;

        var logits = new float[prompt.Length * vocab];
        backend.Forward(backend.CreateCache(prompt.Length), prompt, offsets, logits, allPositions: true);
        GoldenAssert.Logits(c.GetProperty("logits_last"), logits.AsSpan((prompt.Length - 1) * vocab, vocab), $"{caseName} logits_last");
        for (int i = 0; i < prompt.Length; i++)
            GoldenAssert.Top5(c.GetProperty("prompt_top5")[i], logits.AsSpan(i * vocab, vocab), $"{caseName} prompt_top5[{i}]");

        var (ids, stepLogits) = BaselineGoldenTests.Greedy(backend, prompt, offsets, golden.GetProperty("n_steps").GetInt32());
        BaselineGoldenTests.CheckGreedy(c.GetProperty("greedy"), ids, stepLogits, caseName);
    }

    [Fact]
    public void PrefillOnlyCase_DiffersFromEveryStepCase_OnlyInDecode()
    {
        // guide_delta2 and guide_delta2_prefill_only share offsets; only steer_decode differs.
        var golden = GoldenAssert.Load(TestDataPaths.Golden("steering", "tiny-qwen2"));
        var cases = golden.GetProperty("cases").EnumerateArray().ToDictionary(x => x.GetProperty("name").GetString()!);
        Assert.True(cases["guide_delta2"].GetProperty("steer_decode").GetBoolean());
        Assert.False(cases["guide_delta2_prefill_only"].GetProperty("steer_decode").GetBoolean());
        Assert.NotEqual(
            GoldenAssert.Ints(cases["guide_delta2"].GetProperty("greedy").GetProperty("ids")),
            GoldenAssert.Ints(cases["guide_delta2_prefill_only"].GetProperty("greedy").GetProperty("ids")));
    }

    internal static AttentionOffsets BuildOffsets(IModelBackend backend, JsonElement c, int promptLength)
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
