using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Server.Hub;

/// <summary>
/// Downloads a model repository from a Hugging Face Hub endpoint into the HF cache layout, the way
/// huggingface_hub does: the revision's commit and file list from <c>/api/models/ID/revision/REV</c>; each file's
/// etag and size from a HEAD on <c>/ID/resolve/COMMIT/FILE</c> (<c>X-Linked-Etag</c>/<c>X-Linked-Size</c> for LFS
/// files, which redirect to a CDN); the body into <c>blobs/ETAG.incomplete</c>, resumed with <c>Range</c> after a
/// broken connection or a restart; verified (LFS etag = sha256 of the content, git etag = sha1 of
/// <c>"blob N\0"</c> + content) before it becomes <c>blobs/ETAG</c>. Snapshot links and <c>refs/REV</c> are written
/// last, so an interrupted download never looks complete.
/// </summary>
public sealed class HubDownloader(HttpClient http, string endpoint, string? token, ILogger logger)
{
    private const int MaxAttempts = 5;

    /// <summary>Files a model needs: configs, tokenizer and template files, safetensors weights. Top level only.</summary>
    public static bool IsWanted(string file) =>
        !file.Contains('/', StringComparison.Ordinal) &&
        (file.EndsWith(".json", StringComparison.Ordinal) || file.EndsWith(".safetensors", StringComparison.Ordinal) ||
         file.EndsWith(".jinja", StringComparison.Ordinal) || file == "tokenizer.model");

    public async Task<string> DownloadAsync(HubCache cache, string revision, IProgress<HubProgress>? progress, CancellationToken cancellationToken)
    {
        var (commit, files) = await RevisionAsync(cache.RepoId, revision, cancellationToken);
        var wanted = files.Where(IsWanted).ToList();
        if (!wanted.Contains("config.json"))
            throw SteerException.InvalidModel(cache.RepoId, $"revision {revision} ({commit}) has no config.json at {endpoint}");
        Directory.CreateDirectory(cache.BlobsDir);
        var blobs = new List<(string File, string Etag)>();
        for (int i = 0; i < wanted.Count; i++)
        {
            var file = wanted[i];
            var meta = await MetadataAsync(cache.RepoId, commit, file, cancellationToken);
            var blob = Path.Combine(cache.BlobsDir, meta.Etag);
            if (!File.Exists(blob))
                await DownloadBlobAsync(cache.RepoId, commit, file, meta, blob, i + 1, wanted.Count, progress, cancellationToken);
            else
                progress?.Report(new HubProgress(file, meta.Size, meta.Size, i + 1, wanted.Count));
            blobs.Add((file, meta.Etag));
        }

        var snapshot = cache.SnapshotDir(commit);
        Directory.CreateDirectory(snapshot);
        foreach (var (file, etag) in blobs)
        {
            var link = Path.Combine(snapshot, file);
            if (File.Exists(link) || Directory.Exists(link)) File.Delete(link);
            File.CreateSymbolicLink(link, Path.Combine("..", "..", "blobs", etag));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(cache.RefPath(revision))!);
        if (revision != commit) await File.WriteAllTextAsync(cache.RefPath(revision), commit, cancellationToken);
        logger.LogInformation("Downloaded {Repo}@{Revision} ({Commit}): {Count} files into {Snapshot}", cache.RepoId, revision, commit, blobs.Count, snapshot);
        return snapshot;
    }

    private async Task<(string Commit, List<string> Files)> RevisionAsync(string repoId, string revision, CancellationToken ct)
    {
        var url = $"{endpoint}/api/models/{repoId}/revision/{Uri.EscapeDataString(revision)}";
        using var response = await SendAsync(HttpMethod.Get, url, null, ct);
        await EnsureSuccessAsync(response, repoId, url);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        var root = doc.RootElement;
        var commit = root.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String ? sha.GetString()! : null;
        if (commit is null || !HubCache.IsCommit(commit))
            throw SteerException.InvalidModel(repoId, $"the hub at {endpoint} returned no commit sha for revision {revision}");
        var files = new List<string>();
        if (root.TryGetProperty("siblings", out var siblings) && siblings.ValueKind == JsonValueKind.Array)
            foreach (var s in siblings.EnumerateArray())
                if (s.TryGetProperty("rfilename", out var name) && name.GetString() is { } f) files.Add(f);
        return (commit, files);
    }

    private sealed record FileMetadata(string Etag, long Size);

    private async Task<FileMetadata> MetadataAsync(string repoId, string commit, string file, CancellationToken ct)
    {
        var url = ResolveUrl(repoId, commit, file);
        // No redirect following: an LFS file answers 302 to the CDN, and its X-Linked-* headers are on that 302.
        using var response = await SendAsync(HttpMethod.Head, url, null, ct, followRedirects: false);
        if ((int)response.StatusCode >= 400) await EnsureSuccessAsync(response, repoId, url);
        var etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(response, "ETag");
        etag = etag?.Replace("W/", "", StringComparison.Ordinal).Trim('"');
        if (string.IsNullOrEmpty(etag) || etag.IndexOfAny(['/', '\\', '.']) >= 0)
            throw SteerException.InvalidModel(repoId, $"{file}: the hub sent no usable ETag");
        var sizeText = Header(response, "X-Linked-Size") ?? response.Content.Headers.ContentLength?.ToString(CultureInfo.InvariantCulture);
        long size = long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1;
        return new FileMetadata(etag, size);
    }

    private async Task DownloadBlobAsync(string repoId, string commit, string file, FileMetadata meta, string blob,
        int number, int count, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var partial = blob + ".incomplete";
        var url = ResolveUrl(repoId, commit, file);
        for (int attempt = 1; ; attempt++)
        {
            long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            if (meta.Size >= 0 && have > meta.Size) { File.Delete(partial); have = 0; }
            try
            {
                if (meta.Size < 0 || have < meta.Size)
                    await FetchAsync(url, partial, have, meta.Size, file, number, count, progress, repoId, ct);
                break;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested && attempt < MaxAttempts)
            {
                logger.LogWarning("Download of {File} interrupted ({Error}); resuming (attempt {Attempt} of {Max})", file, e.Message, attempt + 1, MaxAttempts);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
            }
        }

        long length = new FileInfo(partial).Length;
        if (meta.Size >= 0 && length != meta.Size)
            throw SteerException.InvalidModel(repoId, $"{file}: downloaded {length} bytes, the hub announced {meta.Size}");
        if (!Verify(partial, meta.Etag, out var actual))
        {
            File.Delete(partial); // a corrupt partial file would poison every later resume
            throw SteerException.InvalidModel(repoId, $"{file}: checksum mismatch (expected {meta.Etag}, got {actual}); the partial file was deleted, retry the download");
        }
        File.Move(partial, blob, overwrite: true);
    }

    private async Task FetchAsync(string url, string partial, long have, long size, string file, int number, int count,
        IProgress<HubProgress>? progress, string repoId, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, url, have > 0 ? new RangeHeaderValue(have, null) : null, ct);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && size >= 0 && have == size) return;
        await EnsureSuccessAsync(response, repoId, url);
        if (have > 0 && response.StatusCode != HttpStatusCode.PartialContent) have = 0; // server ignored Range: start over
        using var output = new FileStream(partial, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using var input = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[1 << 16];
        long done = have, reported = 0;
        var total = size >= 0 ? size : (response.Content.Headers.ContentLength ?? -1) + have;
        progress?.Report(new HubProgress(file, done, total, number, count));
        int read;
        while ((read = await input.ReadAsync(buffer, ct)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), ct);
            done += read;
            if (done - reported >= Math.Max(1 << 20, total / 20)) { progress?.Report(new HubProgress(file, done, total, number, count)); reported = done; }
        }
        await output.FlushAsync(ct);
        progress?.Report(new HubProgress(file, done, total, number, count));
        if (total >= 0 && done < total)
            throw new IOException($"connection closed after {done} of {total} bytes");
    }

    /// <summary>LFS etags are the sha256 of the content; git etags the sha1 of <c>"blob &lt;len&gt;\0"</c> + content.</summary>
    internal static bool Verify(string path, string etag, out string actual)
    {
        using var stream = File.OpenRead(path);
        if (etag.Length == 64)
        {
            actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        else if (etag.Length == 40)
        {
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            sha1.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0) sha1.AppendData(buffer, 0, read);
            actual = Convert.ToHexStringLower(sha1.GetHashAndReset());
        }
        else
        {
            actual = "(no checksum in this etag format)";
            return true; // neither form: the size check above is all we can do
        }
        return string.Equals(actual, etag, StringComparison.OrdinalIgnoreCase);
    }

    private string ResolveUrl(string repoId, string commit, string file) =>
        $"{endpoint}/{repoId}/resolve/{commit}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}";

    /// <summary>Sends with the token on the hub's own host only; follows redirects by hand so the token never reaches a CDN.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, RangeHeaderValue? range, CancellationToken ct, bool followRedirects = true)
    {
        var uri = new Uri(url);
        var hubHost = new Uri(endpoint).Authority;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (range is not null) request.Headers.Range = range;
            if (!string.IsNullOrEmpty(token) && uri.Authority == hubHost)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            int status = (int)response.StatusCode;
            if (!followRedirects || status is < 300 or >= 400 || response.Headers.Location is null || hop >= 5) return response;
            uri = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location : new Uri(uri, response.Headers.Location);
            response.Dispose();
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string repoId, string url)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        string hint = status switch
        {
            401 or 403 => " (gated or private: set HF_TOKEN / SteerServer:Hub:Token)",
            404 => " (no such model, revision or file)",
            _ => "",
        };
        string body = "";
        try { body = (await response.Content.ReadAsStringAsync()).Trim(); } catch (HttpRequestException) { }
        if (body.Length > 200) body = body[..200];
        throw SteerException.InvalidModel(repoId, $"GET {url} answered {status}{hint}{(body.Length > 0 ? ": " + body : "")}");
    }

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() :
        r.Content.Headers.TryGetValues(name, out var c) ? c.FirstOrDefault() : null;
}
