namespace SteerServer.Steering.Profiling;

/// <summary>
/// The profiling loop: for each (layer, head) not yet in the score file, steer that head alone over every example
/// (<see cref="HeadMeasurer.MeasureHead"/>), reduce to per-task deltas against the unsteered baseline, append them
/// to the <see cref="ProfileSidecar"/> at once. Heads go layer by layer; an interruption loses at most the head in
/// progress.
/// </summary>
public sealed class HeadProfiler
{
    private readonly HeadMeasurer measurer;

    public HeadProfiler(HeadMeasurer measurer)
    {
        this.measurer = measurer;
        Tasks = [.. measurer.Examples.Select(e => e.Task).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Task names in order of first appearance.</summary>
    public IReadOnlyList<string> Tasks { get; }

    /// <param name="maxHeads">stop after measuring this many heads (null = all)</param>
    /// <param name="onHeadMeasured">called after each head is recorded (tests use it to cancel mid-run)</param>
    /// <param name="cancellationToken">checked between heads; a cancelled run returns with <see cref="ProfileRunStats.Complete"/> false</param>
    public ProfileRunStats Run(ProfileSidecar sidecar, ProfileProgress? progress = null, int? maxHeads = null,
                               Action<int, int>? onHeadMeasured = null, CancellationToken cancellationToken = default)
    {
        int numLayers = NumLayers, numHeads = NumHeads, total = numLayers * numHeads;
        int resumed = 0;
        for (int l = 0; l < numLayers; l++)
            for (int h = 0; h < numHeads; h++)
                if (sidecar.Completed.ContainsKey((l, h))) resumed++;
        long rowsPerHead = 0, examplesPerHead = 0;
        for (int i = 0; i < measurer.Examples.Count; i++)
        {
            int rows = measurer.RowsPerHead(i);
            rowsPerHead += rows;
            if (rows > 0) examplesPerHead++;
        }

        progress?.Start(total, resumed, (int)examplesPerHead);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cpuStart = Environment.CpuUsage.TotalTime;
        int measured = 0;
        // One head at a time when every example keeps its cache; otherwise the rest of a layer at once, so the shared
        // cache's unsteered prefix is recomputed once per example and layer rather than per head.
        var pending = new List<(int Layer, int Head)>();
        for (int l = 0; l < numLayers; l++)
            for (int h = 0; h < numHeads; h++)
                if (!sidecar.Completed.ContainsKey((l, h))) pending.Add((l, h));
        int next = 0;
        while (next < pending.Count)
        {
            if (cancellationToken.IsCancellationRequested || measured == maxHeads) return Stop();
            int count = 1;
            if (!measurer.KeepsCaches)
                while (next + count < pending.Count && pending[next + count].Layer == pending[next].Layer) count++;
            if (maxHeads is { } max) count = Math.Min(count, max - measured);
            var block = pending.GetRange(next, count);
            var results = measurer.MeasureHeads(block);
            for (int k = 0; k < block.Count; k++)
            {
                var (l, h) = block[k];
                sidecar.Append(l, h, Reduce(results[k]));
                measured++;
                progress?.HeadDone(l, h);
                onHeadMeasured?.Invoke(l, h);
            }
            next += count;
        }
        return Stop();

        ProfileRunStats Stop()
        {
            progress?.Finish();
            return new ProfileRunStats(total, resumed, measured, clock.Elapsed, measured * examplesPerHead, measured * rowsPerHead,
                                       Environment.CpuUsage.TotalTime - cpuStart);
        }
    }

    public int NumLayers => measurer.NumLayers;

    public int NumHeads => measurer.NumHeads;

    /// <summary>Per task: mean log-likelihood change and exact-match rate change against the baseline.</summary>
    public Dictionary<string, TaskDelta> Reduce(ExampleMeasurement[] steered)
    {
        var result = new Dictionary<string, TaskDelta>(StringComparer.Ordinal);
        foreach (var task in Tasks)
        {
            double logProb = 0, accuracy = 0;
            int n = 0;
            for (int i = 0; i < steered.Length; i++)
            {
                if (measurer.Examples[i].Task != task) continue;
                var b = measurer.Baseline[i];
                logProb += steered[i].LogProb - b.LogProb;
                accuracy += (steered[i].Correct ? 1 : 0) - (b.Correct ? 1 : 0);
                n++;
            }
            result[task] = new TaskDelta(logProb / n, accuracy / n);
        }
        return result;
    }
}
