using System.Text.Json;
using SteerServer.Models.Templates;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Preparation;
using SteerServer.Steering.Profiling;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests.Profiling;

/// <summary>The <c>profile</c> command's code end to end on stories260K (5 layers × 8 heads) and the example task file.</summary>
public sealed class ProfileRunnerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("steer-profile-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string TasksFile => Path.Combine(TestDataPaths.RepoRoot, "tests", "data", "profile", "stories260K-tasks.jsonl");

    [Fact]
    public void InterruptedRunResumesAndItsRankingsReproduce()
    {
        var settings = new ProfileSettings(TestDataPaths.Models("stories260K"), TasksFile, Path.Combine(dir, "heads.json"))
        {
            Options = new ProfileOptions { TopK = 3 },
            Threads = 1, // a 260K model gains nothing from a second thread, and the test machine is shared
        };

        // 1. Cancelled after 9 heads: no result, 9 scores on disk.
        using var cts = new CancellationTokenSource();
        int calls = 0;
        var first = ProfileRunner.Run(settings, TextWriter.Null, onHeadMeasured: (_, _) => { if (++calls == 9) cts.Cancel(); },
                                      cancellationToken: cts.Token);
        Assert.Null(first.Result);
        Assert.Equal(9, first.Stats.Measured);
        Assert.Equal(1 + 9, File.ReadAllLines(settings.ResolvedSidecarPath).Length);
        Assert.False(File.Exists(settings.OutPath));

        // 2. Resumed: only the other 31 heads are measured.
        var measured = new List<(int, int)>();
        var log = new StringWriter();
        var second = ProfileRunner.Run(settings, log, onHeadMeasured: (l, h) => measured.Add((l, h)));
        Assert.Equal(9, second.Stats.Resumed);
        Assert.Equal(31, second.Stats.Measured);
        Assert.Equal(31, measured.Distinct().Count());
        Assert.DoesNotContain((0, 0), measured);
        Assert.Equal(1 + 40, File.ReadAllLines(settings.ResolvedSidecarPath).Length);
        var result = Assert.IsType<ProfileResult>(second.Result);
        Assert.Contains("resuming, 9/40", log.ToString());

        // 3. Rankings: every head, finite scores, best first; the union is the union of each task's top 3.
        using var doc = JsonDocument.Parse(File.ReadAllText(settings.OutPath));
        var tasks = doc.RootElement.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal(["name", "object"], tasks.Select(t => t.GetProperty("task").GetString()));
        var expected = new SortedSet<(int, int)>();
        foreach (var task in tasks)
        {
            var ranking = task.GetProperty("ranking").EnumerateArray().ToList();
            Assert.Equal(40, ranking.Count);
            Assert.Equal(40, ranking.Select(r => (r.GetProperty("layer").GetInt32(), r.GetProperty("head").GetInt32())).Distinct().Count());
            var scores = ranking.Select(r => r.GetProperty("score").GetDouble()).ToList();
            Assert.All(scores, s => Assert.True(double.IsFinite(s)));
            Assert.Equal(scores.OrderByDescending(s => s), scores);
            Assert.Contains(scores, s => s != 0);
            foreach (var r in ranking.Take(3)) expected.Add((r.GetProperty("layer").GetInt32(), r.GetProperty("head").GetInt32()));
        }
        var union = result.HeadConfig.SelectMany(kv => kv.Value.Select(h => (kv.Key, h))).ToList();
        Assert.Equal(expected, new SortedSet<(int, int)>(union));
        Assert.Equal(expected.Count, union.Count);
        Assert.InRange(union.Count, 3, 6);
        Assert.Equal(union.Count, doc.RootElement.GetProperty("head_count").GetInt32());

        // The bare head_config file is what the server's DefaultHeadConfig reads.
        var served = HeadConfig.Parse(File.ReadAllText(settings.ResolvedHeadConfigOutPath), "DefaultHeadConfig")
                               .Resolve(new SteeringLimits(5, 8));
        Assert.Equal(result.HeadConfig, served);

        // 4. Re-measuring the top head alone, from scratch (no reused prefix), reproduces its recorded score.
        var top = result.Rankings[0].Heads[0];
        var model = ProfilingModels.Stories260K;
        var examples = ProfileExampleBuilder.Build(ProfileTaskFile.Load(TasksFile), PromptPipeline.Load(model.Directory, model.Config));
        var measurer = new HeadMeasurer(model.Backend, examples, ScalePosition.Exclude, 0.01);
        var again = new HeadProfiler(measurer).Reduce(measurer.MeasureFromScratch(new Dictionary<int, int[]> { [top.Layer] = [top.Head] }));
        Assert.Equal(top.Score, again["name"].LogProbDelta, 1e-4);
        Assert.Equal(top.AccuracyDelta, again["name"].AccuracyDelta);

        // 5. Evaluation: all three settings present and finite.
        Assert.NotNull(result.Evaluation);
        Assert.All(result.Evaluation!, e => Assert.True(double.IsFinite(e.HeadConfig.LogProb) && double.IsFinite(e.AllHeads.LogProb)));
        Assert.Equal(result.Rankings[0].BaselineLogProb, result.Evaluation![0].None.LogProb, 1e-9);

        // 6. --evaluate with the written head_config file gives the same figures.
        var evaluated = ProfileRunner.Evaluate(settings, settings.ResolvedHeadConfigOutPath, TextWriter.Null);
        Assert.Equal(result.Evaluation!.Count, evaluated.Count);
        for (int i = 0; i < evaluated.Count; i++)
        {
            Assert.Equal(result.Evaluation[i].HeadConfig.LogProb, evaluated[i].HeadConfig.LogProb, 1e-6);
            Assert.Equal(result.Evaluation[i].AllHeads.LogProb, evaluated[i].AllHeads.LogProb, 1e-6);
        }
    }

    [Fact]
    public void ExamplesSplitPromptAndTargetAtTheTokenBoundary()
    {
        var model = ProfilingModels.Stories260K;
        var pipeline = PromptPipeline.Load(model.Directory, model.Config);
        var tokenizer = pipeline.Tokenizer;
        var line = ProfileTaskFile.Parse(
            "{\"task\":\"t\",\"prompt\":\"Lily had a dog named Max. Lily\",\"substrings\":[\"dog named Max\"],\"target\":\" and Max\"}", "f")[0];
        var e = ProfileExampleBuilder.Build(line, pipeline);
        Assert.Equal(tokenizer.Encode("Lily had a dog named Max. Lily").Ids, e.PromptIds);
        Assert.Equal(tokenizer.Encode("Lily had a dog named Max. Lily and Max").Ids.Skip(e.PromptIds.Length), e.TargetIds);
        Assert.Equal("and Max", tokenizer.Decode(e.TargetIds, skipSpecialTokens: true).Trim());
        var range = Assert.Single(e.Ranges);
        Assert.Equal("dog named Max", tokenizer.Decode(e.PromptIds[range.TokenStart..range.TokenEnd], skipSpecialTokens: true).Trim());

        var messages = ProfileTaskFile.Parse(
            "{\"task\":\"t\",\"messages\":[{\"role\":\"user\",\"content\":\"Lily had a dog named Max.\"}],\"substrings\":[\"Max\"],\"target\":\" Max\"}", "f")[0];
        var m = ProfileExampleBuilder.Build(messages, pipeline);
        Assert.Equal(tokenizer.Encode("Lily had a dog named Max.").Ids, m.PromptIds); // plain format: the content as is

        var missing = ProfileTaskFile.Parse("{\"task\":\"t\",\"prompt\":\"Lily had a dog.\",\"substrings\":[\"cat\"],\"target\":\" Lily\"}", "f")[0];
        var error = Assert.Throws<Models.Errors.SteerException>(() => ProfileExampleBuilder.Build(missing, pipeline));
        Assert.Contains("f:1", error.Message);
        Assert.Contains("not found", error.Message);
    }
}
