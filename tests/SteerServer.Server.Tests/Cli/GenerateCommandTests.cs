using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Server.Cli;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Cli;

/// <summary>The <c>generate</c> command, run in-process against shared/testdata models.</summary>
public class GenerateCommandTests
{
    // shared/testdata/README.md §1: llama2.c run.c's greedy continuation of "Once upon a time".
    private static readonly int[] Llama2cIds =
        [432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394];

    [Theory]
    [InlineData("stories260K")]
    [InlineData("stories260K-bf16")]
    public void Greedy_PromptIds_PrintsTheLlama2cIds(string model)
    {
        var lines = RunJson("--model", TestDataPaths.Models(model), "--prompt-ids", "1,403,407,261,378",
            "--max-tokens", "32", "--temperature", "0", "--json");
        Assert.Equal(Llama2cIds, lines.Select(l => l.GetProperty("id").GetInt32()).ToArray());
        foreach (var l in lines)
        {
            Assert.True(l.GetProperty("logprob").GetDouble() <= 0);
            Assert.Equal(0, l.GetProperty("top_logprobs").GetArrayLength());
        }
    }

    [Fact]
    public void Prompt_IsTokenized_AndTextStreams()
    {
        var lines = RunJson("--model", TestDataPaths.Models("stories260K"), "--prompt", "Once upon a time",
            "--max-tokens", "32", "--temperature", "0", "--json");
        Assert.Equal(Llama2cIds, lines.Select(l => l.GetProperty("id").GetInt32()).ToArray());
        var text = string.Concat(lines.Select(l => l.GetProperty("text").GetString()));
        Assert.StartsWith(", there was a little girl named Lily.", text);
    }

    [Fact]
    public void TopLogprobs_ListsChosenTokenFirstWhenGreedy()
    {
        var lines = RunJson("--model", TestDataPaths.Models("stories260K"), "--prompt-ids", "1,403,407,261,378",
            "--max-tokens", "4", "--temperature", "0", "--top-logprobs", "3", "--json");
        Assert.Equal(4, lines.Count);
        foreach (var l in lines)
        {
            var top = l.GetProperty("top_logprobs");
            Assert.Equal(3, top.GetArrayLength());
            Assert.Equal(l.GetProperty("id").GetInt32(), top[0].GetProperty("id").GetInt32());
            Assert.Equal(l.GetProperty("logprob").GetDouble(), top[0].GetProperty("logprob").GetDouble(), 6);
            Assert.True(top[0].GetProperty("logprob").GetDouble() >= top[1].GetProperty("logprob").GetDouble());
        }
    }

    [Fact]
    public void Seeded_Sampling_IsReproducible()
    {
        string[] args = ["--model", TestDataPaths.Models("stories260K"), "--prompt-ids", "1,403", "--max-tokens", "24",
            "--temperature", "1.0", "--top-p", "0.9", "--seed", "42", "--ignore-eos", "--json"];
        var a = RunJson(args).Select(l => l.GetProperty("id").GetInt32()).ToArray();
        var b = RunJson(args).Select(l => l.GetProperty("id").GetInt32()).ToArray();
        Assert.Equal(24, a.Length);
        Assert.Equal(a, b);
    }

    [Fact]
    public void BadArguments_AreSteerExceptions()
    {
        var model = TestDataPaths.Models("stories260K");
        Assert.Throws<SteerException>(() => GenerateCommand.Run(["--model", model, "--prompt-ids", "1,x"], TextWriter.Null, TextWriter.Null));
        Assert.Throws<SteerException>(() => GenerateCommand.Run(["--model", model, "--prompt-ids", "1,9999"], TextWriter.Null, TextWriter.Null));
        Assert.Throws<SteerException>(() => GenerateCommand.Run(["--model", model, "--prompt-ids", "1", "--bogus", "1"], TextWriter.Null, TextWriter.Null));
        Assert.Throws<SteerException>(() => GenerateCommand.Run(["--model", model + "-missing", "--prompt-ids", "1"], TextWriter.Null, TextWriter.Null));
    }

    private static List<JsonElement> RunJson(params string[] args)
    {
        var stdout = new StringWriter();
        Assert.Equal(0, GenerateCommand.Run(args, stdout, TextWriter.Null));
        return stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }
}
