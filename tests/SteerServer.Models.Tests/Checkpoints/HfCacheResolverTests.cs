using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Tests.Checkpoints;

/// <summary>HF ids resolve through the hub cache layout. Uses HF_HUB_CACHE-free paths: the resolver takes the hub folder explicitly via HF_HOME.</summary>
[Collection(nameof(EnvironmentVariableCollection))]
public class HfCacheResolverTests
{
    [Fact]
    public void Resolve_Id_UsesRefsMainSnapshot()
    {
        using var home = new TempModelDir(copyFrom: null);
        var repo = Path.Combine(home.Path, "hub", "models--Org--Tiny-Model");
        var good = Path.Combine(repo, "snapshots", "abc123");
        var other = Path.Combine(repo, "snapshots", "zzz999");
        Directory.CreateDirectory(good);
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(good, "config.json"), "{}");
        File.WriteAllText(Path.Combine(other, "config.json"), "{}");
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), "abc123\n");
        WithEnv(home.Path, () => Assert.Equal(good, HfCacheResolver.Resolve("Org/Tiny-Model")));
    }

    [Fact]
    public void Resolve_UnknownId_IsModelNotFound_NamingTheCachePath()
    {
        using var home = new TempModelDir(copyFrom: null);
        WithEnv(home.Path, () =>
        {
            var e = Assert.Throws<SteerException>(() => HfCacheResolver.Resolve("Org/Absent"));
            Assert.Equal(ErrorKind.ModelNotFound, e.Kind);
            Assert.Contains("models--Org--Absent", e.Message);
        });
    }

    [Fact]
    public void Resolve_Directory_ReturnsIt()
    {
        using var dir = new TempModelDir(copyFrom: null);
        Assert.Equal(dir.Path, HfCacheResolver.Resolve(dir.Path));
    }

    private static void WithEnv(string hfHome, Action action)
    {
        var oldHome = Environment.GetEnvironmentVariable("HF_HOME");
        var oldHub = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        try
        {
            Environment.SetEnvironmentVariable("HF_HOME", hfHome);
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", null);
            action();
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_HOME", oldHome);
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", oldHub);
        }
    }
}

[CollectionDefinition(nameof(EnvironmentVariableCollection), DisableParallelization = true)]
public class EnvironmentVariableCollection;
