using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Server.Cli;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Cli;

/// <summary>The <c>profile</c> command's argument handling and files, in-process on stories260K (the procedure itself is tested in SteerServer.Steering.Tests/Profiling).</summary>
public sealed class ProfileCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("steer-profile-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void WritesRankingsAndAHeadConfigFileTheServerCanRead()
    {
        string tasks = Path.Combine(dir, "tasks.jsonl");
        File.WriteAllLines(tasks,
        [
            "{\"task\":\"name\",\"prompt\":\"There was a girl named Lily. She had a friend named Tom. One day,\",\"substrings\":[\"Tom\"],\"target\":\" Tom\"}",
            "{\"task\":\"toy\",\"prompt\":\"Lily had a red ball and a blue car. She liked to play with her\",\"substrings\":[\"blue car\"],\"target\":\" blue car\"}",
        ]);
        string output = Path.Combine(dir, "heads.json");
        var log = new StringWriter();
        int code = ProfileCommand.Run(["--model", TestDataPaths.Models("stories260K"), "--tasks", tasks, "--top-k", "2",
                                       "--metric", "accuracy", "--out", output, "--threads", "1"], log, false, CancellationToken.None);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        Assert.Equal("accuracy", doc.RootElement.GetProperty("metric").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("tasks").GetArrayLength());
        var heads = Steering.HeadConfig.Parse(File.ReadAllText(Path.Combine(dir, "heads.head_config.json")), "head_config")
                                       .Resolve(new Steering.SteeringLimits(5, 8));
        Assert.InRange(heads.Values.Sum(h => h.Length), 2, 4);
        Assert.Equal(41, File.ReadAllLines(Path.Combine(dir, "heads.scores.jsonl")).Length);
        Assert.Contains("heads 40/40", log.ToString());
    }

    [Theory]
    [InlineData("--metric", "f1", "--metric must be logprob or accuracy")]
    [InlineData("--scale-position", "middle", "--scale-position must be exclude, include or generation")]
    [InlineData("--top-k", "x", "--top-k must be an integer")]
    [InlineData("--alpha-typo", "1", "unknown option --alpha-typo")]
    public void BadOptionsAreNamed(string name, string value, string expected)
    {
        var e = Assert.Throws<SteerException>(() => ProfileCommand.Parse(["--model", "m", "--tasks", "t", name, value]));
        Assert.Contains(expected, e.Message);
    }
}
