namespace SteerServer.TestData;

/// <summary>Finds <c>../shared/testdata</c> beside the repository root. Fails loudly, never skips.</summary>
public static class TestDataPaths
{
    private static readonly Lazy<string> root = new(FindRoot);

    /// <summary>Absolute path of <c>shared/testdata</c>.</summary>
    public static string Root => root.Value;

    /// <summary>Absolute path of the repository root (the folder holding SteerServer.sln).</summary>
    public static string RepoRoot => FindRepoRoot();

    public static string Models(string name) => Path.Combine(Root, "models", name);

    public static string Golden(string kind, string model) => Path.Combine(Root, "golden", kind, model + ".json");

    /// <summary>A path under <c>shared/testdata</c>, e.g. <c>File("tokenizers", "qwen2.5", "vectors.jsonl")</c>.</summary>
    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "SteerServer.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"SteerServer.sln not found above {AppContext.BaseDirectory}");
    }

    private static string FindRoot()
    {
        var repo = FindRepoRoot();
        var candidate = Path.GetFullPath(Path.Combine(repo, "..", "shared", "testdata"));
        if (!Directory.Exists(candidate))
            throw new DirectoryNotFoundException($"shared test data not found at {candidate} (expected ../shared/testdata beside the repository root)");
        return candidate;
    }
}
