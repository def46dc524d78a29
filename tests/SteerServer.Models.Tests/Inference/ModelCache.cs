using System.Collections.Concurrent;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Inference;

/// <summary>
/// Test models under shared/testdata/models, loaded once per test run and shared read-only
/// (the backend serialises forwards; each test owns its caches).
/// </summary>
internal static class ModelCache
{
    private static readonly ConcurrentDictionary<(string, DType?), Lazy<Model>> models = new();

    public static Model Get(string name, DType? dtype = null) =>
        models.GetOrAdd((name, dtype), k => new Lazy<Model>(() => Model.Load(TestDataPaths.Models(k.Item1), new ModelLoadOptions { DType = k.Item2 }))).Value;
}
