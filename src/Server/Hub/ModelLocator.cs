using Microsoft.Extensions.Options;
using SteerServer.Models.Errors;
using SteerServer.Server.Options;

namespace SteerServer.Server.Hub;

/// <summary>
/// Turns <c>SteerServer:Model:Path</c> into a model directory: an existing directory as is; a Hub model id from
/// the HF cache; a model id missing from the cache is downloaded from <c>HF_ENDPOINT</c> (with <c>HF_TOKEN</c>).
/// </summary>
public sealed class ModelLocator(IOptions<HubOptions> options, IHttpClientFactory httpFactory, ILogger<ModelLocator> logger)
{
    public const string HttpClientName = "hub";

    public async Task<string> LocateAsync(string pathOrId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(pathOrId))
            throw SteerException.InvalidModel("SteerServer:Model:Path", "no model configured: pass --model DIR_OR_HF_ID or set SteerServer__Model__Path");
        if (Directory.Exists(pathOrId)) return Path.GetFullPath(pathOrId);
        if (!HubCache.IsRepoId(pathOrId))
            throw SteerException.InvalidModel(pathOrId, "no such directory, and not a Hugging Face model id");

        var o = options.Value;
        var cache = new HubCache(HubCache.DefaultRoot(o.CacheDir), pathOrId);
        if (cache.FindSnapshot(o.Revision) is { } snapshot)
        {
            logger.LogInformation("Model {Model}@{Revision} found in the Hugging Face cache: {Snapshot}", pathOrId, o.Revision, snapshot);
            return snapshot;
        }
        if (!o.AllowDownload)
            throw SteerException.InvalidModel(pathOrId, $"not in the Hugging Face cache ({cache.RepoDir}) and SteerServer:Hub:AllowDownload is false");

        var endpoint = (string.IsNullOrEmpty(o.Endpoint) ? Environment.GetEnvironmentVariable("HF_ENDPOINT") : o.Endpoint) is { Length: > 0 } e ? e : "https://huggingface.co";
        var token = string.IsNullOrEmpty(o.Token) ? Environment.GetEnvironmentVariable("HF_TOKEN") : o.Token;
        logger.LogInformation("Model {Model} is not in the Hugging Face cache; downloading {Revision} from {Endpoint} into {Cache}", pathOrId, o.Revision, endpoint, cache.RepoDir);
        var downloader = new HubDownloader(httpFactory.CreateClient(HttpClientName), endpoint.TrimEnd('/'), token, logger);
        var progress = new ProgressLog(logger);
        return await downloader.DownloadAsync(cache, o.Revision, progress, cancellationToken);
    }

    /// <summary>Progress as log lines: at the start, every 10 % and at the end of each file.</summary>
    private sealed class ProgressLog(ILogger logger) : IProgress<HubProgress>
    {
        private string? file;
        private int lastDecile = -1;

        public void Report(HubProgress p)
        {
            if (p.File != file) { file = p.File; lastDecile = -1; }
            int decile = p.TotalBytes > 0 ? (int)(p.Bytes * 10 / p.TotalBytes) : 0;
            if (decile == lastDecile) return;
            lastDecile = decile;
            logger.LogInformation("[{Number}/{Count}] {File}: {Done:N0} / {Total:N0} bytes ({Percent}%)",
                p.FileNumber, p.FileCount, p.File, p.Bytes, p.TotalBytes, decile * 10);
        }
    }
}
