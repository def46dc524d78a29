using SteerServer.Models.Inference;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests.Profiling;

/// <summary>stories260K on one thread: the model is too small to gain from two, and on a shared machine the worker handoffs dominate.</summary>
internal static class ProfilingModels
{
    private static readonly Lazy<Model> stories260K = new(() => Model.Load(TestDataPaths.Models("stories260K"), new ModelLoadOptions { Threads = 1 }));

    public static Model Stories260K => stories260K.Value;
}
