using System.Collections.Concurrent;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.TestData;

namespace SteerServer.Backends.Torch.Tests;

/// <summary>
/// Test models on the torch backend (device cpu), loaded once per test run and shared read-only. One libtorch thread:
/// the test machines are shared and small, and libtorch's OpenMP workers stall when the cores are oversubscribed
/// (a 2-thread decode step of stories260K took 140 ms under load against 1.3 ms with one thread).
/// </summary>
internal static class TorchModels
{
    private static readonly ConcurrentDictionary<(string, DType?), Lazy<Model>> models = new();

    public static ModelLoadOptions Options(DType? dtype = null) => new() { Backend = "torch", Device = "cpu", DType = dtype, Threads = 1 };

    public static Model Get(string name, DType? dtype = null) =>
        models.GetOrAdd((name, dtype), key => new Lazy<Model>(() => Model.Load(TestDataPaths.Models(key.Item1), Options(key.Item2)))).Value;
}
