using SteerServer.Models.Inference;
using SteerServer.TestData;

namespace SteerServer.Backends.Torch.Tests;

public class SmokeTests
{
    public static TheoryData<string> ModelNames => new()
    {
        "stories260K", "stories260K-bf16", "tiny-qwen2", "tiny-mistral", "tiny-llama3", "tiny-qwen3",
    };

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Prefill_MatchesGolden(string name)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", name));
        using var model = Model.Load(TestDataPaths.Models(name), new ModelLoadOptions { Backend = "torch" });
        var backend = model.Backend;
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        int vocab = backend.Config.VocabSize;
        var logits = new float[prompt.Length * vocab];
        var cache = backend.CreateCache(prompt.Length + 8);
        backend.Forward(cache, prompt, null, logits, allPositions: true);
        GoldenAssert.Logits(golden.GetProperty("logits_last"), logits.AsSpan((prompt.Length - 1) * vocab, vocab), $"{name} logits_last");
        var top5 = golden.GetProperty("prompt_top5");
        for (int i = 0; i < prompt.Length; i++)
            GoldenAssert.Top5(top5[i], logits.AsSpan(i * vocab, vocab), $"{name} prompt_top5[{i}]");
        var ids = new List<int>();
        var step = logits.AsSpan((prompt.Length - 1) * vocab, vocab).ToArray();
        for (int s = 0; s < 8; s++)
        {
            int next = 0;
            for (int j = 1; j < vocab; j++) if (step[j] > step[next]) next = j;
            ids.Add(next);
            backend.DecodeBatch([cache], [next], [], step);
        }
        Assert.Equal(GoldenAssert.Ints(golden.GetProperty("greedy").GetProperty("ids")), ids);
    }
}
