using SteerServer.Models.Errors;
using SteerServer.Models.Generation;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;

namespace SteerServer.Backends.Contract;

/// <summary>
/// What every <see cref="IModelBackend"/> promises, run against the test models of shared/testdata: input checks,
/// cache bookkeeping (truncate, fork), the same results whatever the chunking and batching, and (in the other half of
/// this class) the goldens. A backend's test project subclasses it and says how to load a model.
/// </summary>
public abstract partial class BackendContractSuite
{
    /// <summary>
    /// The backend of test model <paramref name="modelName"/> (a folder of shared/testdata/models), weights converted to
    /// <paramref name="dtype"/> (null = as stored). Called by every test: load each (name, dtype) once and share it.
    /// </summary>
    protected abstract IModelBackend Load(string modelName, DType? dtype);

    /// <summary>Largest |Δ| allowed between a chunked (or batched) run and the whole one; 0 = the same bits.</summary>
    protected virtual float ChunkingTolerance => 0f;

    private IModelBackend Backend(string name = "stories260K") => Load(name, null);

    // A deterministic prompt of `length` ids (BOS first) inside the vocabulary.
    private static int[] Prompt(int length, int vocab, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(i => i == 0 ? 1 : rng.Next(3, vocab))];
    }

    private void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        if (ChunkingTolerance == 0f)
        {
            for (int i = 0; i < expected.Length; i++)
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                    Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected the same bits as {expected[i]:R}");
            return;
        }
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= ChunkingTolerance, $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
    }

    // ---- description ----

    [Fact]
    public void Info_And_KvBytesPerPosition_DescribeTheBackend()
    {
        var b = Backend();
        Assert.False(string.IsNullOrWhiteSpace(b.Info.Name));
        Assert.False(string.IsNullOrWhiteSpace(b.Info.Device));
        Assert.False(string.IsNullOrWhiteSpace(b.Info.DType));
        // Keys and values of every layer: at least 2 × layers × kvHeads × headDim bytes (one byte per element).
        Assert.True(b.KvBytesPerPosition >= 2L * b.Config.NumHiddenLayers * b.Config.NumKeyValueHeads * b.Config.HeadDim);
    }

    // ---- validation ----

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void CreateCache_NonPositiveCapacity_IsInvalidRequest(int capacity) =>
        Assert.Equal(ErrorKind.InvalidRequest, Assert.Throws<SteerException>(() => Backend().CreateCache(capacity)).Kind);

    [Fact]
    public void PastCapacity_IsContextLengthError_AndLeavesCacheUnchanged()
    {
        var b = Backend();
        var cache = b.CreateCache(4);
        var e = Assert.Throws<SteerException>(() => b.Forward(cache, [1, 2, 3, 4, 5], null, new float[b.Config.VocabSize]));
        Assert.Equal(ErrorKind.ContextLengthExceeded, e.Kind);
        Assert.Equal(0, cache.Length);
    }

    [Fact]
    public void Decode_FullCache_IsContextLengthError()
    {
        var b = Backend();
        var cache = b.CreateCache(2);
        b.Forward(cache, [1, 2], null, new float[b.Config.VocabSize]);
        Assert.Equal(ErrorKind.ContextLengthExceeded,
            Assert.Throws<SteerException>(() => b.DecodeBatch([cache], [3], [], new float[b.Config.VocabSize])).Kind);
        Assert.Equal(2, cache.Length);
    }

    [Fact]
    public void TokenOutsideVocabulary_IsInvalidRequest_NamingTheId()
    {
        var b = Backend();
        int vocab = b.Config.VocabSize;
        var e = Assert.Throws<SteerException>(() => b.Forward(b.CreateCache(4), [1, vocab], null, new float[vocab]));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
        Assert.Contains(vocab.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        Assert.Throws<SteerException>(() => b.Forward(b.CreateCache(4), [1, -1], null, new float[vocab]));
    }

    [Fact]
    public void NoTokens_IsInvalidRequest()
    {
        var b = Backend();
        var e = Assert.Throws<SteerException>(() => b.Run([new BatchItem(b.CreateCache(4), Array.Empty<int>())], new float[b.Config.VocabSize]));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
    }

    [Fact]
    public void SameCacheTwice_IsRejected_AndNothingRuns()
    {
        var b = Backend();
        var cache = b.CreateCache(8);
        b.Forward(cache, [1], null, new float[b.Config.VocabSize]);
        Assert.Throws<ArgumentException>(() => b.Run([new BatchItem(cache, new[] { 2 }), new BatchItem(cache, new[] { 3 })], new float[2 * b.Config.VocabSize]));
        Assert.Equal(1, cache.Length);
    }

    [Fact]
    public void OffsetsOfAnotherShape_AreRejected()
    {
        var b = Backend();
        var offsets = new AttentionOffsets(b.Config.NumHiddenLayers + 1, b.Config.NumAttentionHeads, 2);
        Assert.Throws<ArgumentException>(() => b.Forward(b.CreateCache(4), [1, 2], offsets, new float[b.Config.VocabSize]));
    }

    [Fact]
    public void LogitsBufferTooSmall_IsRejected_AndNothingRuns()
    {
        var b = Backend();
        var cache = b.CreateCache(8);
        Assert.Throws<ArgumentException>(() => b.Run([new BatchItem(cache, new[] { 1, 2, 3 }, Logits: LogitsMode.All)], new float[2 * b.Config.VocabSize]));
        Assert.Equal(0, cache.Length);
    }

    [Fact]
    public void FailedRun_LeavesEveryCacheLengthUnchanged()
    {
        var b = Backend();
        int vocab = b.Config.VocabSize;
        var good = b.CreateCache(8);
        var full = b.CreateCache(3);
        b.Forward(good, [1, 5], null, new float[vocab]);
        b.Forward(full, [1, 5, 6], null, new float[vocab]);
        // The second item overflows its cache: the first item's tokens must not be appended either.
        Assert.Throws<SteerException>(() => b.Run([new BatchItem(good, new[] { 7, 8 }), new BatchItem(full, new[] { 9 })], new float[2 * vocab]));
        Assert.Equal(2, good.Length);
        Assert.Equal(3, full.Length);
        Assert.Throws<SteerException>(() => b.Run([new BatchItem(good, new[] { 7, 8 }), new BatchItem(b.CreateCache(4), new[] { 1, vocab + 3 })], new float[2 * vocab]));
        Assert.Equal(2, good.Length);
    }

    [Fact]
    public void Capture_IsRefused_WhenTheBackendCannotCapture()
    {
        var b = Backend();
        if (b.Info.CanCaptureAttention) return; // capture itself is checked by the Influence goldens
        var capture = new AttentionCapture(b.Config.NumHiddenLayers, 4);
        Assert.Throws<NotSupportedException>(() => b.Forward(b.CreateCache(4), [1, 2, 3], null, new float[b.Config.VocabSize], capture: capture));
    }

    // ---- logits modes ----

    [Fact]
    public void LogitsModes_WriteNoneLastOrAllRows_InItemOrder()
    {
        var b = Backend("tiny-qwen3");
        int vocab = b.Config.VocabSize;
        int[] p = Prompt(7, vocab, 1), q = Prompt(5, vocab, 2), r = Prompt(3, vocab, 3);
        var allP = new float[p.Length * vocab];
        var allQ = new float[q.Length * vocab];
        var allR = new float[r.Length * vocab];
        b.Forward(b.CreateCache(16), p, null, allP, allPositions: true);
        b.Forward(b.CreateCache(16), q, null, allQ, allPositions: true);
        b.Forward(b.CreateCache(16), r, null, allR, allPositions: true);

        // One run: p → last row, q → no rows, r → every row; rows follow item order with nothing for q.
        var caches = new[] { b.CreateCache(16), b.CreateCache(16), b.CreateCache(16) };
        var logits = new float[(1 + r.Length) * vocab];
        b.Run([new BatchItem(caches[0], p), new BatchItem(caches[1], q, Logits: LogitsMode.None), new BatchItem(caches[2], r, Logits: LogitsMode.All)], logits);
        Assert.Equal([p.Length, q.Length, r.Length], caches.Select(c => c.Length));
        AssertClose(allP.AsSpan((p.Length - 1) * vocab), logits.AsSpan(0, vocab), "last row of p");
        AssertClose(allR, logits.AsSpan(vocab), "all rows of r");
    }

    // ---- chunking and batching ----

    public static TheoryData<string> ChunkModels => new() { "stories260K", "tiny-qwen2", "tiny-mistral", "tiny-qwen3" };

    [Theory]
    [MemberData(nameof(ChunkModels))]
    public void ChunkedPrefill_EqualsWholePrefill_LogitsAndGreedyTokens(string model)
    {
        var b = Backend(model);
        int vocab = b.Config.VocabSize, steps = 6;
        var prompt = Prompt(41, vocab, 7);
        var whole = new float[prompt.Length * vocab];
        var wholeCache = b.CreateCache(prompt.Length + steps);
        b.Forward(wholeCache, prompt, null, whole, allPositions: true);
        var wholeIds = GreedyFrom(b, wholeCache, whole.AsSpan((prompt.Length - 1) * vocab).ToArray(), null, steps);

        foreach (int chunk in new[] { 1, 3, 16, 40 })
        {
            var cache = b.CreateCache(prompt.Length + steps);
            var chunked = new float[prompt.Length * vocab];
            for (int start = 0; start < prompt.Length; start += chunk)
            {
                int n = Math.Min(chunk, prompt.Length - start);
                b.Run([new BatchItem(cache, prompt.AsMemory(start, n), Logits: LogitsMode.All)], chunked.AsSpan(start * vocab, n * vocab));
            }
            AssertClose(whole, chunked, $"{model}: prefill in chunks of {chunk}");
            var ids = GreedyFrom(b, cache, chunked.AsSpan((prompt.Length - 1) * vocab).ToArray(), null, steps);
            Assert.Equal(wholeIds, ids);
        }
    }

    [Fact]
    public void SteeredChunkedPrefill_EqualsWholeSteeredPrefill()
    {
        var b = Backend("tiny-qwen2");
        int vocab = b.Config.VocabSize;
        var prompt = Prompt(23, vocab, 11);
        var offsets = SomeOffsets(b, prompt.Length, steerDecode: true);
        var whole = new float[prompt.Length * vocab];
        b.Forward(b.CreateCache(prompt.Length), prompt, offsets, whole, allPositions: true);
        var cache = b.CreateCache(prompt.Length);
        var chunked = new float[prompt.Length * vocab];
        for (int start = 0; start < prompt.Length; start += 5)
        {
            int n = Math.Min(5, prompt.Length - start);
            b.Run([new BatchItem(cache, prompt.AsMemory(start, n), offsets, LogitsMode.All)], chunked.AsSpan(start * vocab, n * vocab));
        }
        AssertClose(whole, chunked, "steered prefill in chunks of 5");
    }

    [Theory]
    [MemberData(nameof(ChunkModels))]
    public void MixedBatch_EachItemEqualsItRunAlone(string model)
    {
        // A scheduler step: decode tokens of running sequences (one steered) beside prefill chunks of new ones.
        var b = Backend(model);
        int vocab = b.Config.VocabSize;
        int[][] before = [Prompt(9, vocab, 21), Prompt(3, vocab, 22), Prompt(17, vocab, 23), [], Prompt(6, vocab, 24)];
        int[][] added = [[5], [6], Prompt(8, vocab, 25), Prompt(11, vocab, 26), [7]];
        var modes = new[] { LogitsMode.Last, LogitsMode.Last, LogitsMode.None, LogitsMode.All, LogitsMode.Last };
        var steering = new AttentionOffsets?[] { null, SomeOffsets(b, 3, steerDecode: true), null, null, SomeOffsets(b, 6, steerDecode: false) };

        var alone = new List<float[]>();
        var batchCaches = new KvCache[before.Length];
        for (int i = 0; i < before.Length; i++)
        {
            var cache = b.CreateCache(40);
            batchCaches[i] = b.CreateCache(40);
            if (before[i].Length > 0)
            {
                b.Forward(cache, before[i], steering[i], new float[vocab]);
                b.Forward(batchCaches[i], before[i], steering[i], new float[vocab]);
            }
            var item = new BatchItem(cache, added[i], steering[i], modes[i]);
            var logits = new float[item.LogitsRows * vocab];
            b.Run([item], logits);
            alone.Add(logits);
        }

        var items = Enumerable.Range(0, before.Length).Select(i => new BatchItem(batchCaches[i], added[i], steering[i], modes[i])).ToArray();
        var batched = new float[items.Sum(x => x.LogitsRows) * vocab];
        b.Run(items, batched);
        int row = 0;
        for (int i = 0; i < items.Length; i++)
        {
            Assert.Equal(before[i].Length + added[i].Length, batchCaches[i].Length);
            AssertClose(alone[i], batched.AsSpan(row * vocab, alone[i].Length), $"{model}: item {i} batched vs alone");
            row += items[i].LogitsRows;
        }

        // Arrival order does not matter either.
        var reversedCaches = new KvCache[before.Length];
        var reversed = new BatchItem[before.Length];
        for (int i = 0; i < before.Length; i++)
        {
            reversedCaches[i] = b.CreateCache(40);
            if (before[i].Length > 0) b.Forward(reversedCaches[i], before[i], steering[i], new float[vocab]);
            reversed[before.Length - 1 - i] = new BatchItem(reversedCaches[i], added[i], steering[i], modes[i]);
        }
        var reversedLogits = new float[batched.Length];
        b.Run(reversed, reversedLogits);
        row = 0;
        for (int k = 0; k < reversed.Length; k++)
        {
            int i = before.Length - 1 - k;
            AssertClose(alone[i], reversedLogits.AsSpan(row * vocab, alone[i].Length), $"{model}: item {i} in reversed order");
            row += reversed[k].LogitsRows;
        }
    }

    [Fact]
    public void Run_AppliesOffsets_WhateverSteerDecodeSays_DecodeBatchHonoursIt()
    {
        // SteerDecode is the scheduler's decision: Run steers every row it is given offsets for.
        var b = Backend();
        int vocab = b.Config.VocabSize;
        int[] prompt = [1, 403, 407];
        var prefillOnly = SomeOffsets(b, prompt.Length, steerDecode: false);
        var always = SomeOffsets(b, prompt.Length, steerDecode: true);
        KvCache Prefilled() { var c = b.CreateCache(8); b.Forward(c, prompt, always, new float[vocab]); return c; }

        var viaRun = new float[vocab];
        var steered = new float[vocab];
        var unsteered = new float[vocab];
        var viaDecodeBatch = new float[vocab];
        b.Run([new BatchItem(Prefilled(), new[] { 261 }, prefillOnly)], viaRun);
        b.Run([new BatchItem(Prefilled(), new[] { 261 }, always)], steered);
        b.Run([new BatchItem(Prefilled(), new[] { 261 })], unsteered);
        b.DecodeBatch([Prefilled()], [261], [prefillOnly], viaDecodeBatch);
        AssertClose(steered, viaRun, "Run with steer_decode false offsets");
        AssertClose(unsteered, viaDecodeBatch, "DecodeBatch skips steer_decode false offsets");
        Assert.NotEqual(steered, unsteered);
    }

    // ---- cache bookkeeping ----

    [Fact]
    public void Truncate_ThenExtend_EqualsOnePrefill()
    {
        var b = Backend("tiny-qwen2");
        int vocab = b.Config.VocabSize;
        var prompt = Prompt(10, vocab, 31);
        var whole = new float[vocab];
        b.Forward(b.CreateCache(16), prompt, null, whole);
        var cache = b.CreateCache(16);
        var part = new float[vocab];
        b.Forward(cache, prompt, null, part);
        b.Forward(cache, [9, 9, 9], null, part);
        cache.Truncate(4);
        Assert.Equal(4, cache.Length);
        b.Forward(cache, prompt.AsSpan(4), null, part);
        AssertClose(whole, part, "truncated to 4, extended");
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Truncate(cache.Length + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Truncate(-1));
    }

    [Fact]
    public void Fork_ContinuesLikeTheOriginal_AndTheTwoAreIndependent()
    {
        var b = Backend();
        int vocab = b.Config.VocabSize;
        var prompt = Prompt(300, vocab, 41); // past the first block of a cache that grows with use
        var original = b.CreateCache(320);
        b.Forward(original, prompt, null, new float[vocab]);

        // n choices: fork after the prompt, then decode different tokens on each in one batch.
        var fork = original.Fork(prompt.Length, 320);
        Assert.Equal(prompt.Length, fork.Length);
        Assert.Equal(320, fork.Capacity);
        var both = new float[2 * vocab];
        b.Run([new BatchItem(original, new[] { 5 }), new BatchItem(fork, new[] { 6 })], both);
        var expect5 = new float[vocab];
        var expect6 = new float[vocab];
        b.Forward(b.CreateCache(320), [.. prompt, 5], null, expect5);
        b.Forward(b.CreateCache(320), [.. prompt, 6], null, expect6);
        AssertClose(expect5, both.AsSpan(0, vocab), "original after fork");
        AssertClose(expect6, both.AsSpan(vocab), "fork");

        // A fork of a prefix, extended with the rest of the prompt.
        var prefix = original.Fork(100, 310);
        Assert.Equal(100, prefix.Length);
        var rest = new float[vocab];
        b.Forward(prefix, prompt.AsSpan(100), null, rest);
        var whole = new float[vocab];
        b.Forward(b.CreateCache(310), prompt, null, whole);
        AssertClose(whole, rest, "fork of a 100-token prefix, extended");
        Assert.Equal(prompt.Length + 1, original.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => original.Fork(original.Length + 1, 400));
        Assert.Throws<ArgumentOutOfRangeException>(() => original.Fork(10, 5));
    }

    [Fact]
    public void CacheCreatedAtFullContext_GrowsWithUse_AndKeepsItsContents()
    {
        // Growing storage mid-sequence must not change any logit compared with a cache sized exactly.
        var b = Backend();
        int vocab = b.Config.VocabSize;
        var prompt = Prompt(300, vocab, 5);
        var big = b.CreateCache(b.Config.MaxPositionEmbeddings);
        long initial = big.AllocatedBytes;
        var exact = b.CreateCache(301);
        var grown = new float[vocab];
        var direct = new float[vocab];
        b.Forward(big, prompt.AsSpan(0, 250), null, grown);
        for (int i = 250; i < 300; i++) b.DecodeBatch([big], [prompt[i]], [], grown);
        b.Forward(exact, prompt, null, direct);
        Assert.True(big.AllocatedBytes >= initial);
        AssertClose(direct, grown, "grown cache");
    }

    // ---- helpers ----

    private static int[] GreedyFrom(IModelBackend b, KvCache cache, float[] logits, AttentionOffsets? offsets, int steps)
    {
        var ids = new int[steps];
        for (int s = 0; s < steps; s++)
        {
            ids[s] = Sampler.ArgMax(logits);
            if (s + 1 < steps) b.DecodeBatch([cache], [ids[s]], [offsets], logits);
        }
        return ids;
    }

    // Offsets strong enough to change the output: +4 on the second prompt column of half the heads of every layer.
    private static AttentionOffsets SomeOffsets(IModelBackend b, int promptLength, bool steerDecode)
    {
        var o = new AttentionOffsets(b.Config.NumHiddenLayers, b.Config.NumAttentionHeads, promptLength, steerDecode);
        for (int l = 0; l < b.Config.NumHiddenLayers; l++)
            for (int h = 0; h < b.Config.NumAttentionHeads; h += 2)
                o.GetOrCreate(l, h)[Math.Min(1, promptLength - 1)] = 4f;
        return o;
    }
}
