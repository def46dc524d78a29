using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Inference;

/// <summary>What <see cref="IModelBackend"/> promises besides numbers: input checks, cache bookkeeping, load-time dtype.</summary>
public class BackendContractTests
{
    private static IModelBackend Backend => ModelCache.Get("stories260K").Backend;

    [Fact]
    public void Forward_PastCapacity_IsContextLengthError_AndLeavesCacheUnchanged()
    {
        var cache = Backend.CreateCache(4);
        var e = Assert.Throws<SteerException>(() => Backend.Forward(cache, [1, 2, 3, 4, 5], null, new float[512]));
        Assert.Equal(ErrorKind.ContextLengthExceeded, e.Kind);
        Assert.Equal(0, cache.Length);
    }

    [Fact]
    public void DecodeBatch_FullCache_IsContextLengthError()
    {
        var cache = Backend.CreateCache(2);
        Backend.Forward(cache, [1, 2], null, new float[512]);
        Assert.Equal(ErrorKind.ContextLengthExceeded,
            Assert.Throws<SteerException>(() => Backend.DecodeBatch([cache], [3], [], new float[512])).Kind);
    }

    [Fact]
    public void TokenOutsideVocabulary_IsInvalidRequest()
    {
        var e = Assert.Throws<SteerException>(() => Backend.Forward(Backend.CreateCache(4), [1, 512], null, new float[512]));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
        Assert.Contains("512", e.Message);
    }

    [Fact]
    public void DecodeBatch_SameCacheTwice_IsRejected()
    {
        var cache = Backend.CreateCache(8);
        Backend.Forward(cache, [1], null, new float[512]);
        Assert.Throws<ArgumentException>(() => Backend.DecodeBatch([cache, cache], [2, 3], [], new float[1024]));
        Assert.Equal(1, cache.Length);
    }

    [Fact]
    public void Offsets_ForAnotherShape_AreRejected()
    {
        var offsets = new AttentionOffsets(3, 8, 2);
        Assert.Throws<ArgumentException>(() => Backend.Forward(Backend.CreateCache(4), [1, 2], offsets, new float[512]));
    }

    [Fact]
    public void SteerDecodeFalse_DecodeStepIgnoresOffsets()
    {
        var offsets = new AttentionOffsets(5, 8, 3, steerDecode: false);
        for (int h = 0; h < 8; h++) offsets.GetOrCreate(2, h)[1] = 5f;
        var plain = Backend.CreateCache(8);
        var steered = Backend.CreateCache(8);
        var a = new float[512];
        var b = new float[512];
        Backend.Forward(plain, [1, 403, 407], null, a);
        Backend.Forward(steered, [1, 403, 407], offsets, b);
        Assert.NotEqual(a, b); // the prefill is steered
        // Same cache contents from here: replay the steered prefill's cache on both sides, then one decode step each.
        var unsteeredStep = new float[512];
        var prefillOnlyStep = new float[512];
        var c1 = Backend.CreateCache(8);
        var c2 = Backend.CreateCache(8);
        Backend.Forward(c1, [1, 403, 407], offsets, b);
        Backend.Forward(c2, [1, 403, 407], offsets, b);
        Backend.DecodeBatch([c1], [261], [null], unsteeredStep);
        Backend.DecodeBatch([c2], [261], [offsets], prefillOnlyStep);
        Assert.Equal(unsteeredStep, prefillOnlyStep);
    }

    [Fact]
    public void LoadBf16AsF32_MatchesTheBf16Golden()
    {
        // Upcasting bf16 to f32 at load is exact, so the converted model must still match its golden.
        using var model = Model.Load(TestDataPaths.Models("stories260K-bf16"), new ModelLoadOptions { DType = DType.F32 });
        Assert.Equal(DType.F32, ((CpuBackend)model.Backend).Weights.Layers[0].QProj.DType);
        var golden = GoldenAssert.Load(TestDataPaths.Golden("baseline", "stories260K-bf16"));
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        var logits = new float[512];
        model.Backend.Forward(model.Backend.CreateCache(prompt.Length), prompt, null, logits);
        GoldenAssert.Logits(golden.GetProperty("logits_last"), logits, "stories260K-bf16 as f32");
    }

    [Fact]
    public void KvCache_GrowsWithUse_AndKeepsItsContents()
    {
        // A cache created at the full context allocates little; growing past its first block (256 positions)
        // mid-sequence must not change any logit compared with a cache sized exactly.
        var rng = new Random(5);
        var prompt = Enumerable.Range(0, 300).Select(i => i == 0 ? 1 : rng.Next(3, 512)).ToArray();
        var big = Backend.CreateCache(512);
        Assert.True(big.AllocatedBytes < 512 * Backend.KvBytesPerPosition);
        var exact = Backend.CreateCache(301);
        var a = new float[512];
        var b = new float[512];
        Backend.Forward(big, prompt.AsSpan(0, 250), null, a);
        for (int i = 250; i < 300; i++) Backend.DecodeBatch([big], [prompt[i]], [], a);
        Backend.Forward(exact, prompt, null, b);
        Assert.True(big.AllocatedBytes >= 300 * Backend.KvBytesPerPosition);
        for (int v = 0; v < 512; v++) Assert.True(Math.Abs(a[v] - b[v]) <= 1e-4, $"id {v}: {a[v]} vs {b[v]}");
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
}
