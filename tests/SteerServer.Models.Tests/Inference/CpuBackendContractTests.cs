using SteerServer.Backends.Contract;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Inference;

/// <summary>The backend contract suite and goldens against the managed CPU engine, plus what only this engine promises.</summary>
public class CpuBackendContractTests : BackendContractSuite
{
    protected override IModelBackend Load(string modelName, DType? dtype) => ModelCache.Get(modelName, dtype).Backend;

    [Theory]
    [MemberData(nameof(BaselineModels))]
    public void RopeInvFreq_MatchesGolden(string name)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", name));
        var expected = GoldenAssert.Doubles(golden.GetProperty("rope_inv_freq"));
        var actual = ((CpuBackend)ModelCache.Get(name).Backend).RopeInverseFrequencies;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= Tolerances.Relative * Math.Abs(expected[i]) + 1e-12,
                $"inv_freq[{i}] = {actual[i]:g7}, golden {expected[i]:g7}");
    }

    [Fact]
    public void LoadAsF32_PacksF32Weights()
    {
        var backend = (CpuBackend)ModelCache.Get("stories260K-bf16", DType.F32).Backend;
        Assert.Equal(DType.F32, backend.Weights.Layers[0].QProj.DType);
        Assert.Equal("cpu", backend.Info.Name);
        Assert.True(backend.Info.CanCaptureAttention);
    }

    [Fact]
    public void KvCache_AllocatesWhatItHolds_NotItsCapacity()
    {
        var backend = ModelCache.Get("stories260K").Backend;
        var cache = backend.CreateCache(512);
        Assert.True(cache.AllocatedBytes < 512 * backend.KvBytesPerPosition);
        backend.Forward(cache, Enumerable.Range(0, 300).Select(i => 1 + i % 400).ToArray(), null, new float[512]);
        Assert.True(cache.AllocatedBytes >= 300 * backend.KvBytesPerPosition);
        var fork = cache.Fork(20, 512);
        Assert.True(fork.AllocatedBytes < cache.AllocatedBytes);
    }

    [Fact]
    public void Threads_One_GivesTheSameLogits()
    {
        using var model = Model.Load(TestDataPaths.Models("tiny-qwen2"), new ModelLoadOptions { Threads = 1 });
        int[] prompt = [1, 403, 407, 261, 378, 432, 383, 286];
        var a = new float[512];
        var b = new float[512];
        model.Backend.Forward(model.Backend.CreateCache(8), prompt, null, a);
        ModelCache.Get("tiny-qwen2").Backend.Forward(ModelCache.Get("tiny-qwen2").Backend.CreateCache(8), prompt, null, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void UnknownBackend_IsAnErrorNamingBackend()
    {
        var e = Assert.Throws<Errors.SteerException>(() => Model.Load(TestDataPaths.Models("stories260K"), new ModelLoadOptions { Backend = "nosuch" }));
        Assert.Equal("backend", e.Param);
        Assert.Contains("SteerServer.Backends.Nosuch", e.Message);
    }
}
