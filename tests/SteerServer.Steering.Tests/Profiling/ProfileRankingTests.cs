using SteerServer.Steering.Profiling;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Tests.Profiling;

public class ProfileRankingTests
{
    [Fact]
    public void AccuracyRanksFirstAndLogProbBreaksTies()
    {
        var measurer = new HeadMeasurer(ProfilingModels.Stories260K.Backend,
        [
            new("a", "t:1", [1, 403, 407, 261, 378], [338], [new TokenRange(2, 3)]),
            new("b", "t:2", [1, 436, 275, 353], [301], [new TokenRange(1, 2)]),
        ], ScalePosition.Exclude, 0.01);
        var profiler = new HeadProfiler(measurer);
        var scores = new Dictionary<(int, int), IReadOnlyDictionary<string, TaskDelta>>();
        for (int l = 0; l < 5; l++)
            for (int h = 0; h < 8; h++)
                scores[(l, h)] = new Dictionary<string, TaskDelta>
                {
                    ["a"] = new(l * 0.1 + h * 0.01, h == 3 ? 1 : 0), // accuracy: (l, 3) first, the rest by logprob
                    ["b"] = new(-h, 0),
                };

        var byAccuracy = ProfileRanking.Rank(profiler, measurer, scores, ProfileMetric.Accuracy);
        Assert.Equal([(4, 3), (3, 3), (2, 3), (1, 3), (0, 3), (4, 7)], byAccuracy[0].Heads.Take(6).Select(s => (s.Layer, s.Head)));
        Assert.Equal(1.0, byAccuracy[0].Heads[0].Score);

        var byLogProb = ProfileRanking.Rank(profiler, measurer, scores, ProfileMetric.LogProb);
        Assert.Equal((4, 7), (byLogProb[0].Heads[0].Layer, byLogProb[0].Heads[0].Head));
        Assert.Equal([(0, 0), (1, 0), (2, 0)], byLogProb[1].Heads.Take(3).Select(s => (s.Layer, s.Head))); // ties: lower layer first

        var union = ProfileRanking.Union(byAccuracy, 2);
        Assert.Equal(new SortedDictionary<int, int[]> { [0] = [0], [1] = [0], [3] = [3], [4] = [3] }, union);
        Assert.Equal(2, byAccuracy[0].Examples + byAccuracy[1].Examples);
    }
}
