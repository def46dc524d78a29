namespace SteerServer.Steering.Profiling;

/// <summary>Scores → per-task rankings → the union of each task's top-k (PASTA's multi-task head selection).</summary>
public static class ProfileRanking
{
    /// <summary>
    /// Ranks every head for every task: by the metric's delta, then the log-likelihood delta (which breaks the many
    /// ties of exact-match accuracy), then layer and head, so the order is deterministic.
    /// </summary>
    public static List<TaskRanking> Rank(HeadProfiler profiler, HeadMeasurer measurer,
                                         IReadOnlyDictionary<(int Layer, int Head), IReadOnlyDictionary<string, TaskDelta>> scores,
                                         ProfileMetric metric)
    {
        var rankings = new List<TaskRanking>();
        foreach (var task in profiler.Tasks)
        {
            var heads = new List<HeadScore>();
            for (int l = 0; l < profiler.NumLayers; l++)
                for (int h = 0; h < profiler.NumHeads; h++)
                {
                    if (!scores.TryGetValue((l, h), out var perTask) || !perTask.TryGetValue(task, out var d))
                        throw new InvalidOperationException($"no score for layer {l} head {h} task '{task}'");
                    heads.Add(new HeadScore(l, h, metric == ProfileMetric.Accuracy ? d.AccuracyDelta : d.LogProbDelta, d.LogProbDelta, d.AccuracyDelta));
                }
            heads.Sort(Compare);
            var indices = Enumerable.Range(0, measurer.Examples.Count).Where(i => measurer.Examples[i].Task == task).ToList();
            rankings.Add(new TaskRanking(task, indices.Count,
                indices.Average(i => measurer.Baseline[i].LogProb),
                indices.Average(i => measurer.Baseline[i].Correct ? 1.0 : 0.0),
                heads));
        }
        return rankings;
    }

    /// <summary>The union of each ranking's top <paramref name="topK"/>, as layer → sorted heads.</summary>
    public static SortedDictionary<int, int[]> Union(IEnumerable<TaskRanking> rankings, int topK)
    {
        var sets = new SortedDictionary<int, SortedSet<int>>();
        foreach (var ranking in rankings)
            foreach (var s in ranking.Top(topK))
            {
                if (!sets.TryGetValue(s.Layer, out var set)) sets[s.Layer] = set = [];
                set.Add(s.Head);
            }
        var union = new SortedDictionary<int, int[]>();
        foreach (var (layer, set) in sets) union[layer] = [.. set];
        return union;
    }

    /// <summary>Mean log-likelihood and accuracy per task of measured examples.</summary>
    public static Dictionary<string, HeadSetScore> PerTask(HeadMeasurer measurer, ExampleMeasurement[] measured)
    {
        var result = new Dictionary<string, HeadSetScore>(StringComparer.Ordinal);
        foreach (var group in Enumerable.Range(0, measured.Length).GroupBy(i => measurer.Examples[i].Task))
            result[group.Key] = new HeadSetScore(group.Average(i => measured[i].LogProb), group.Average(i => measured[i].Correct ? 1.0 : 0.0));
        return result;
    }

    private static int Compare(HeadScore a, HeadScore b)
    {
        int c = b.Score.CompareTo(a.Score);
        if (c == 0) c = b.LogProbDelta.CompareTo(a.LogProbDelta);
        if (c == 0) c = a.Layer.CompareTo(b.Layer);
        if (c == 0) c = a.Head.CompareTo(b.Head);
        return c;
    }
}
