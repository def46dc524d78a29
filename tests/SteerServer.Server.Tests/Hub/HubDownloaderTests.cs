using Microsoft.Extensions.Logging.Abstractions;
using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Server.Hub;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Hub;

/// <summary>Downloading a model id into the HF cache layout from a fake hub on 127.0.0.1.</summary>
public sealed class HubDownloaderTests : IDisposable
{
    private const string RepoId = "karpathy/stories260K";
    private readonly string cacheRoot = Path.Combine(Path.GetTempPath(), "steer-hub-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(cacheRoot)) Directory.Delete(cacheRoot, recursive: true);
    }

    private static HubDownloader Downloader(FakeHub hub, string? token) =>
        new(new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }), hub.Endpoint, token, NullLogger.Instance);

    [Fact]
    public async Task Download_CutMidway_ResumesVerifiesAndLoads()
    {
        await using var hub = await FakeHub.StartAsync(RepoId, TestDataPaths.Models("stories260K"));
        hub.CutFirstCdnDownload = true;
        var cache = new HubCache(cacheRoot, RepoId);
        var progress = new List<HubProgress>();
        var snapshot = await Downloader(hub, hub.Token).DownloadAsync(cache, "main", new Progress(progress), Ct());

        Assert.Equal(cache.SnapshotDir(FakeHub.Commit), snapshot);
        Assert.Equal(FakeHub.Commit, File.ReadAllText(cache.RefPath("main")));
        foreach (var name in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
        {
            var link = new FileInfo(Path.Combine(snapshot, name));
            Assert.NotNull(link.LinkTarget); // snapshots link into blobs/, as huggingface_hub lays them out
            Assert.StartsWith(Path.Combine("..", "..", "blobs"), link.LinkTarget);
            Assert.Equal(hub.File(name), File.ReadAllBytes(link.FullName));
        }
        Assert.False(File.Exists(Path.Combine(snapshot, "README.md")));
        Assert.Empty(Directory.GetFiles(cache.BlobsDir, "*.incomplete"));
        Assert.Contains(hub.Log, l => l.StartsWith("CDN range=bytes=", StringComparison.Ordinal)); // resumed, not restarted
        Assert.DoesNotContain(hub.Log, l => l.Contains("auth=True", StringComparison.Ordinal));
        Assert.Contains(progress, p => p.File == "model.safetensors" && p.Bytes == p.TotalBytes);
        Assert.Equal(snapshot, cache.FindSnapshot("main"));
        using var model = Model.Load(snapshot);
        Assert.Equal(5, model.Config.NumHiddenLayers);
    }

    [Fact]
    public async Task Download_CorruptBytes_ChecksumMismatchNamesFile_NothingCommitted()
    {
        await using var hub = await FakeHub.StartAsync(RepoId, TestDataPaths.Models("stories260K"));
        hub.Corrupt = true;
        var cache = new HubCache(cacheRoot, RepoId);
        var e = await Assert.ThrowsAsync<SteerException>(() => Downloader(hub, hub.Token).DownloadAsync(cache, "main", null, Ct()));
        Assert.Contains("checksum mismatch", e.Message);
        Assert.False(File.Exists(cache.RefPath("main")));
        Assert.Null(cache.FindSnapshot("main"));
        Assert.Empty(Directory.GetFiles(cache.BlobsDir, "*.incomplete"));
    }

    [Fact]
    public async Task Download_WithoutToken_401WithHint()
    {
        await using var hub = await FakeHub.StartAsync(RepoId, TestDataPaths.Models("stories260K"));
        var e = await Assert.ThrowsAsync<SteerException>(() => Downloader(hub, null).DownloadAsync(new HubCache(cacheRoot, RepoId), "main", null, Ct()));
        Assert.Contains("401", e.Message);
        Assert.Contains("HF_TOKEN", e.Message);
    }

    [Fact]
    public async Task SecondDownload_BlobsPresent_NoBodyFetched()
    {
        await using var hub = await FakeHub.StartAsync(RepoId, TestDataPaths.Models("stories260K"));
        var cache = new HubCache(cacheRoot, RepoId);
        await Downloader(hub, hub.Token).DownloadAsync(cache, "main", null, Ct());
        while (hub.Log.TryDequeue(out _)) { }
        await Downloader(hub, hub.Token).DownloadAsync(cache, "main", null, Ct());
        Assert.DoesNotContain(hub.Log, l => l.StartsWith("GET", StringComparison.Ordinal) || l.StartsWith("CDN", StringComparison.Ordinal));
    }

    private static CancellationToken Ct() => new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    private sealed class Progress(List<HubProgress> list) : IProgress<HubProgress>
    {
        public void Report(HubProgress value)
        {
            lock (list) list.Add(value);
        }
    }
}
