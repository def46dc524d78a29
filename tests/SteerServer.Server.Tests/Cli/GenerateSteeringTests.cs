using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Errors;
using SteerServer.Models.Tokenization;
using SteerServer.Server.Cli;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Cli;

/// <summary>
/// <c>generate --steering</c> end to end: every steered golden case, written as a user would (substrings in
/// <c>--steering</c>, GUIDE tags in <c>--prompt</c>), must print the golden greedy ids with the golden top-5
/// logprobs (1e-3), and a final <c>steering_applied</c> line naming the golden token ranges.
/// </summary>
public class GenerateSteeringTests
{
    private const double Tolerance = 1e-3; // golden/README.md, float32 engine

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "stories260K", "tiny-qwen2" })
            foreach (var c in Load(model).GetProperty("cases").EnumerateArray()) data.Add(model, c.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Load(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestDataPaths.Golden("steering", model)));
        return doc.RootElement.Clone();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generate_GoldenCase_PrintsGoldenGreedyAndAppliedSpans(string model, string caseName)
    {
        var golden = Load(model);
        var c = golden.GetProperty("cases").EnumerateArray().First(x => x.GetProperty("name").GetString() == caseName);
        string prompt = golden.GetProperty("prompt_text").GetString()!;
        var steering = new JsonObject { ["steer_decode"] = c.GetProperty("steer_decode").GetBoolean() };
        var expectedSpans = new List<(string Source, int Start, int End)>();
        if (c.TryGetProperty("pasta", out var pasta))
        {
            steering["substrings"] = new JsonArray([.. pasta.GetProperty("spans").EnumerateArray().Select(s => (JsonNode)s.GetProperty("text").GetString()!)]);
            steering["head_config"] = JsonNode.Parse(pasta.GetProperty("head_config").GetRawText());
            steering["alpha"] = pasta.GetProperty("alpha").GetDouble();
            steering["scale_position"] = pasta.GetProperty("scale_position").GetString();
            foreach (var r in pasta.GetProperty("token_ranges").EnumerateArray()) expectedSpans.Add(("substring", r[0].GetInt32(), r[1].GetInt32()));
        }
        if (c.TryGetProperty("guide", out var guide))
        {
            // <!!!-> adds 2·delta: the golden Δ needs delta = Δ/2.
            steering["delta"] = guide.GetProperty("delta").GetDouble() / 2;
            var range = guide.GetProperty("span").GetProperty("char_range");
            int s = TextUnits.CodePointToUtf16(prompt, range[0].GetInt32()), e = TextUnits.CodePointToUtf16(prompt, range[1].GetInt32());
            prompt = prompt[..s] + "<!!!->" + prompt[s..e] + "<-!!!>" + prompt[e..];
            var r = guide.GetProperty("token_range");
            expectedSpans.Add(("guide", r[0].GetInt32(), r[1].GetInt32()));
        }
        var greedy = c.GetProperty("greedy");
        int steps = greedy.GetProperty("ids").GetArrayLength();
        var lines = RunJson("--model", Path.Combine(TestDataPaths.Root, golden.GetProperty("model_dir").GetString()!), "--prompt", prompt,
            "--max-tokens", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--temperature", "0", "--ignore-eos",
            "--top-logprobs", "5", "--json", "--steering", steering.ToJsonString());

        Assert.Equal(steps + 1, lines.Count);
        Assert.Equal(greedy.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()), lines.Take(steps).Select(l => l.GetProperty("id").GetInt32()));
        for (int step = 0; step < steps; step++)
        {
            var ours = lines[step].GetProperty("top_logprobs").EnumerateArray()
                .ToDictionary(t => t.GetProperty("id").GetInt32(), t => t.GetProperty("logprob").GetDouble());
            var top5 = greedy.GetProperty("top5")[step].EnumerateArray().Select(p => (Id: p[0].GetInt32(), Lp: p[1].GetDouble())).ToList();
            foreach (var (id, lp) in top5)
                if (ours.TryGetValue(id, out double got)) Assert.True(Math.Abs(got - lp) <= Tolerance, $"step {step} id {id}: {got} vs {lp}");
                else Assert.True(lp <= ours.Values.Min() + Tolerance, $"step {step}: golden id {id} ({lp}) missing from our top 5");
        }

        var applied = lines[^1].GetProperty("steering_applied");
        Assert.Equal(expectedSpans, applied.GetProperty("spans").EnumerateArray()
            .Select(s => (s.GetProperty("source").GetString()!, s.GetProperty("token_start").GetInt32(), s.GetProperty("token_end").GetInt32())));
        Assert.Equal(JsonValueKind.Null, lines[^1].GetProperty("influence").ValueKind);
    }

    [Fact]
    public void Generate_BriefExample_PrintsAppliedSpans()
    {
        var stderr = new StringWriter();
        Assert.Equal(0, GenerateCommand.Run(["--model", TestDataPaths.Models("stories260K"),
            "--prompt", "Once upon a time, there was a little girl named Lily. She loved to play", "--max-tokens", "4", "--temperature", "0",
            "--steering", """{"substrings":["little girl"],"head_config":[0,1],"alpha":0.01}"""], TextWriter.Null, stderr));
        Assert.Contains("steering: substring span \"little girl\" tokens [9, 13) offset -4.60517", stderr.ToString());
        Assert.Contains("steering: 2 layers, 16 heads steered", stderr.ToString());
    }

    [Fact]
    public void Generate_InfluenceViaTag_FinalLineHasVectors()
    {
        var lines = RunJson("--model", TestDataPaths.Models("stories260K"), "--prompt", "Once upon a time, there was a <?->little girl<-?> named Lily.",
            "--max-tokens", "2", "--temperature", "0", "--json", "--steering", """{"influence":"attention_rollout","delta_influence":1}""");
        var influence = lines[^1].GetProperty("influence");
        Assert.Equal("attention_rollout", influence.GetProperty("metric").GetString());
        Assert.Equal(6, influence.GetProperty("layers").GetArrayLength()); // layer −1 and 5 layers
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0], influence.GetProperty("layers")[0].EnumerateArray().Select(v => v.GetDouble()));
    }

    [Theory]
    [InlineData("""{"substrings":["little boy"],"head_config":[0]}""", "steering.substrings[0]")]
    [InlineData("""{"head_config":{"1":[8]}}""", "steering.head_config.1[0]")]
    [InlineData("""{"alpha":0}""", "steering.alpha")]
    public void Generate_BadSteering_NamesThePath(string json, string param)
    {
        var ex = Assert.Throws<SteerException>(() => GenerateCommand.Run(["--model", TestDataPaths.Models("stories260K"),
            "--prompt", "Once upon a time, there was a little girl", "--max-tokens", "1", "--steering", json], TextWriter.Null, TextWriter.Null));
        Assert.Equal(param, ex.Param);
    }

    private static List<JsonElement> RunJson(params string[] args)
    {
        var stdout = new StringWriter();
        Assert.Equal(0, GenerateCommand.Run(args, stdout, TextWriter.Null));
        return stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }
}
