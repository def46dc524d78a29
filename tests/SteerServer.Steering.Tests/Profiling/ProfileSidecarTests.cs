using SteerServer.Models.Errors;
using SteerServer.Steering.Profiling;

namespace SteerServer.Steering.Tests.Profiling;

public sealed class ProfileSidecarTests : IDisposable
{
    private static readonly ProfileFingerprint Fingerprint = new("abc", 1234, 5, 8, "def", 0.01, "exclude", "");
    private readonly string dir = Directory.CreateTempSubdirectory("steer-profile-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void ReopenedFileKnowsItsHeadsAndDropsATornLine()
    {
        string path = Path.Combine(dir, "s.jsonl");
        using (var s = ProfileSidecar.Open(path, Fingerprint))
        {
            s.Append(0, 1, new Dictionary<string, TaskDelta> { ["a"] = new(0.25, -0.5), ["b"] = new(-1e-9, 0) });
            s.Append(3, 7, new Dictionary<string, TaskDelta> { ["a"] = new(1.5, 0), ["b"] = new(2, 1) });
        }
        File.AppendAllText(path, "{\"layer\":4,\"head\":"); // killed mid-write
        using (var s = ProfileSidecar.Open(path, Fingerprint))
        {
            Assert.Equal(2, s.Completed.Count);
            Assert.Equal(new TaskDelta(0.25, -0.5), s.Completed[(0, 1)]["a"]);
            Assert.Equal(new TaskDelta(-1e-9, 0), s.Completed[(0, 1)]["b"]);
            s.Append(4, 0, new Dictionary<string, TaskDelta> { ["a"] = new(3, 0) });
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("{\"layer\":4,\"head\":0,", lines[3]);
    }

    [Fact]
    public void OtherSettingsAreRefused()
    {
        string path = Path.Combine(dir, "s.jsonl");
        using (ProfileSidecar.Open(path, Fingerprint)) { }
        var e = Assert.Throws<SteerException>(() => ProfileSidecar.Open(path, Fingerprint with { Alpha = 0.1 }));
        Assert.Contains("s.jsonl", e.Message);
        Assert.Contains("other settings", e.Message);
    }

    [Fact]
    public void NonFiniteScoresAreRefused()
    {
        using var s = ProfileSidecar.Open(Path.Combine(dir, "s.jsonl"), Fingerprint);
        Assert.Throws<SteerException>(() => s.Append(0, 0, new Dictionary<string, TaskDelta> { ["a"] = new(double.NaN, 0) }));
    }
}
