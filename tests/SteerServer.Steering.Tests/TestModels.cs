using System.Collections.Concurrent;
using SteerServer.Models.Inference;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests;

/// <summary>Test models loaded once per run and shared read-only; each test owns its caches.</summary>
internal static class TestModels
{
    private static readonly ConcurrentDictionary<string, Lazy<Model>> models = new();

    public static Model Get(string name) =>
        models.GetOrAdd(name, n => new Lazy<Model>(() => Model.Load(TestDataPaths.Models(n)))).Value;
}
