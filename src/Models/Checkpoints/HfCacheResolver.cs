using SteerServer.Models.Errors;

namespace SteerServer.Models.Checkpoints;

/// <summary>
/// Turns a model argument into a directory: an existing directory as is, otherwise a Hugging Face id
/// <c>ORG/NAME</c> looked up in the hub cache <c>$HF_HOME/hub/models--ORG--NAME/snapshots/&lt;rev&gt;/</c>
/// (<c>HF_HOME</c> defaults to <c>~/.cache/huggingface</c>; <c>HF_HUB_CACHE</c> overrides the hub folder),
/// preferring the revision named by <c>refs/main</c>. Never downloads.
/// </summary>
public static class HfCacheResolver
{
    public static string Resolve(string dirOrHfId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dirOrHfId);
        if (Directory.Exists(dirOrHfId)) return Path.GetFullPath(dirOrHfId);

        var parts = dirOrHfId.Split('/');
        bool looksLikeId = parts.Length == 2 && parts.All(p => p.Length > 0 && p != "." && p != ".." && !p.Contains('\\'));
        if (!looksLikeId) throw NotFound(dirOrHfId, "no such directory");

        var hub = HubCacheDirectory();
        var repo = Path.Combine(hub, $"models--{parts[0]}--{parts[1]}");
        var snapshots = Path.Combine(repo, "snapshots");
        if (!Directory.Exists(snapshots))
            throw NotFound(dirOrHfId, $"not a directory and not in the Hugging Face cache (looked for {snapshots})");

        var refMain = Path.Combine(repo, "refs", "main");
        if (File.Exists(refMain))
        {
            var rev = File.ReadAllText(refMain).Trim();
            var dir = Path.Combine(snapshots, rev);
            if (rev.Length > 0 && Directory.Exists(dir)) return dir;
        }
        // No usable refs/main: take the most recently written snapshot that has a config.json.
        var candidate = new DirectoryInfo(snapshots).EnumerateDirectories()
            .Where(d => File.Exists(Path.Combine(d.FullName, "config.json")))
            .OrderByDescending(d => d.LastWriteTimeUtc)
            .FirstOrDefault();
        return candidate?.FullName
            ?? throw NotFound(dirOrHfId, $"no snapshot with a config.json under {snapshots}");
    }

    /// <summary>The hub cache folder: <c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>.</summary>
    public static string HubCacheDirectory()
    {
        var hubCache = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        if (!string.IsNullOrEmpty(hubCache)) return hubCache;
        var home = Environment.GetEnvironmentVariable("HF_HOME");
        if (string.IsNullOrEmpty(home))
            home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface");
        return Path.Combine(home, "hub");
    }

    private static SteerException NotFound(string model, string problem) =>
        new(ErrorKind.ModelNotFound, $"model '{model}': {problem}", "model", "model_not_found");
}
