using SteerServer.Steering.Profiling;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Tests.Profiling;

public sealed class HeadProfilerTests : IDisposable
{
    private static readonly ProfileFingerprint Fingerprint = new("x", 1, 5, 8, "y", 0.01, "exclude", "");
    private readonly string dir = Directory.CreateTempSubdirectory("steer-profile-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static HeadMeasurer Measurer() => new(ProfilingModels.Stories260K.Backend,
    [
        new("a", "t:1", [1, 403, 407, 261, 378, 302, 389, 322, 475, 294], [338, 284], [new TokenRange(3, 5)]),
        new("b", "t:2", [1, 436, 275, 353, 259, 290, 311, 264], [301], [new TokenRange(5, 7)]),
    ], ScalePosition.Exclude, 0.01);

    [Fact]
    public void CancelledRunResumesWithoutRemeasuringFinishedHeads()
    {
        var measurer = Measurer();
        var profiler = new HeadProfiler(measurer);
        string path = Path.Combine(dir, "s.jsonl");
        var measured = new List<(int, int)>();

        using var cts = new CancellationTokenSource();
        ProfileRunStats first;
        using (var sidecar = ProfileSidecar.Open(path, Fingerprint))
            first = profiler.Run(sidecar, onHeadMeasured: (l, h) => { measured.Add((l, h)); if (measured.Count == 11) cts.Cancel(); },
                                 cancellationToken: cts.Token);
        Assert.False(first.Complete);
        Assert.Equal(11, first.Measured);

        var log = new StringWriter();
        ProfileRunStats second;
        using (var sidecar = ProfileSidecar.Open(path, Fingerprint))
        {
            second = profiler.Run(sidecar, new ProfileProgress(log, inPlace: false), onHeadMeasured: (l, h) => measured.Add((l, h)));
            Assert.Equal(40, sidecar.Completed.Count);
        }
        Assert.True(second.Complete);
        Assert.Equal(11, second.Resumed);
        Assert.Equal(29, second.Measured);
        Assert.Equal(40, measured.Distinct().Count());
        Assert.Equal(40, measured.Count); // nothing measured twice
        Assert.Equal(41, File.ReadAllLines(path).Length);
        Assert.Contains("resuming, 11/40", log.ToString());
        Assert.Contains("heads 40/40 (100.0%)", log.ToString());

        // A third run has nothing left to do.
        using (var sidecar = ProfileSidecar.Open(path, Fingerprint))
            Assert.Equal(0, profiler.Run(sidecar, maxHeads: 5).Measured);
    }

    [Fact]
    public void SharedCacheModeWorksLayerByLayer()
    {
        var measurer = new HeadMeasurer(ProfilingModels.Stories260K.Backend,
            [new("a", "t:1", [1, 403, 407, 261, 378, 302], [338, 284], [new TokenRange(3, 5)])], ScalePosition.Exclude, 0.01, cacheBudgetBytes: 0);
        var profiler = new HeadProfiler(measurer);
        string path = Path.Combine(dir, "s.jsonl");
        using var cts = new CancellationTokenSource();
        int calls = 0;
        using (var sidecar = ProfileSidecar.Open(path, Fingerprint))
        {
            // Cancelled inside layer 1: that layer's heads are measured together, so the run stops after it.
            var first = profiler.Run(sidecar, onHeadMeasured: (_, _) => { if (++calls == 11) cts.Cancel(); }, cancellationToken: cts.Token);
            Assert.Equal(16, first.Measured);
            Assert.Equal(4, profiler.Run(sidecar, maxHeads: 4).Measured); // max-heads cuts a block
            Assert.Equal(20, profiler.Run(sidecar).Measured);
            Assert.Equal(40, sidecar.Completed.Count);
        }
    }

    [Fact]
    public void MaxHeadsStopsEarly()
    {
        var profiler = new HeadProfiler(Measurer());
        using var sidecar = ProfileSidecar.Open(Path.Combine(dir, "s.jsonl"), Fingerprint);
        var stats = profiler.Run(sidecar, maxHeads: 3);
        Assert.Equal(3, stats.Measured);
        Assert.Equal([(0, 0), (0, 1), (0, 2)], sidecar.Completed.Keys.Order().ToArray());
        Assert.Equal(6, stats.HeadExamples);
    }
}
