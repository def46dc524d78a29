using System.Text.RegularExpressions;
using SteerServer.Models.Checkpoints;

namespace SteerServer.Server.Hub;

/// <summary>
/// The Hugging Face cache layout for one model repository, as huggingface_hub writes it:
/// <c>models--ORG--NAME/{blobs/&lt;etag&gt;, snapshots/&lt;commit&gt;/&lt;file&gt; → ../../blobs/&lt;etag&gt;, refs/&lt;revision&gt;}</c>.
/// </summary>
public sealed partial class HubCache(string cacheRoot, string repoId)
{
    public string RepoId { get; } = repoId;
    public string RepoDir { get; } = Path.Combine(cacheRoot, "models--" + repoId.Replace("/", "--", StringComparison.Ordinal));
    public string BlobsDir => Path.Combine(RepoDir, "blobs");
    public string SnapshotDir(string commit) => Path.Combine(RepoDir, "snapshots", commit);
    public string RefPath(string revision) => Path.Combine(RepoDir, "refs", revision);

    /// <summary><c>ORG/NAME</c> (or <c>NAME</c>) of letters, digits, <c>-_.</c>: what the Hub accepts as a model id.</summary>
    public static bool IsRepoId(string s) => RepoIdPattern().IsMatch(s) && !s.Contains("..", StringComparison.Ordinal);

    /// <summary>The cache root: explicit, else <c>HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else ~/.cache/huggingface/hub.</summary>
    public static string DefaultRoot(string? configured) =>
        !string.IsNullOrEmpty(configured) ? configured : HfCacheResolver.HubCacheDirectory();

    /// <summary>The complete snapshot of <paramref name="revision"/>: refs are written only after every file is in place.</summary>
    public string? FindSnapshot(string revision)
    {
        string? commit = File.Exists(RefPath(revision)) ? File.ReadAllText(RefPath(revision)).Trim() : null;
        if (commit is null && CommitPattern().IsMatch(revision)) commit = revision;
        if (string.IsNullOrEmpty(commit)) return null;
        var dir = SnapshotDir(commit);
        return File.Exists(Path.Combine(dir, "config.json")) ? dir : null;
    }

    public static bool IsCommit(string s) => CommitPattern().IsMatch(s);

    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9_.\-]*/)?[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    private static partial Regex RepoIdPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
