using System.Collections.Concurrent;
using SteerServer.Models.Inference;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Inference;

/// <summary>
/// Test models under shared/testdata/models, loaded once per test run and shared read-only
/// (the backend serialises forwards; each test owns its caches).
/// </summary>
internal static class ModelCache
{
    private static readonly ConcurrentDictionary<string, Lazy<Model>> models = new();

    public static Model Get(string name) =>
        models.GetOrAdd(name, n => new Lazy<Model>(() => Model.Load(TestDataPaths.Models(n)))).Value;
}
