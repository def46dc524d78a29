using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.Models.Tests.Inference;

namespace SteerServer.Models.Tests.Kernels;

/// <summary>
/// The attention kernel (every width) against a double-precision reference, and the properties batching relies
/// on: a query's bits do not depend on its group, its batch or its being a prefill row.
/// </summary>
public class AttentionTests
{
    private static float[] RandomArray(Random rng, int n, float scale = 1f) =>
        Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    private static float[] PackKeys(float[] positionMajor, int headDim, int positions)
    {
        var panels = new float[(positions + Attention.Panel - 1) / Attention.Panel * Attention.Panel * headDim];
        for (int p = 0; p < positions; p++) Attention.StoreKey(positionMajor.AsSpan(p * headDim, headDim), panels, p);
        return panels;
    }

    public static TheoryData<KernelVariant, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<KernelVariant, int, int, int, int, int>();
        foreach (var v in KernelDispatch.Available)
        {
            // variant, headDim, queries, keyStart, keyEnd, promptLength
            data.Add(v, 8, 1, 0, 1, 0);       // one key
            data.Add(v, 8, 2, 0, 13, 0);      // causal prefix inside one panel
            data.Add(v, 12, 3, 0, 9, 4);      // head_dim not a multiple of 4 or of any width
            data.Add(v, 16, 1, 14, 20, 0);    // sliding window: keys 14..19 across a panel edge
            data.Add(v, 64, 3, 0, 30, 12);    // offsets on the first 12 (prompt) columns only
            data.Add(v, 32, 5, 5, 40, 40);    // window + a group larger than the kernel's four
            data.Add(v, 128, 4, 0, 70, 70);
            data.Add(v, 96, 7, 17, 83, 50);   // 64 + 32 value dims, group of 7
            data.Add(v, 64, 1, 0, 300, 200);  // three softmax chunks, merged
            data.Add(v, 16, 3, 130, 400, 390); // window starting inside a chunk, capture over chunks
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_EveryWidth_MatchesReference(KernelVariant variant, int headDim, int queries, int keyStart, int keyEnd, int promptLength)
    {
        var rng = new Random(headDim * 1000 + keyEnd * 10 + queries);
        int capacity = keyEnd + 19;
        var q = RandomArray(rng, queries * headDim);
        var keys = RandomArray(rng, capacity * headDim);
        var values = RandomArray(rng, capacity * headDim);
        var offsets = new float[]?[queries];
        for (int i = 0; i < queries; i++) offsets[i] = i % 3 == 1 ? null : RandomArray(rng, promptLength, 3); // some heads unsteered
        float scale = 1f / MathF.Sqrt(headDim);
        var scratch = new float[Attention.ScratchLength(keyStart, keyEnd, headDim)];
        var output = new float[queries * headDim];
        var capture = new float[keyEnd - keyStart];
        Attention.Forward(q, queries, PackKeys(keys, headDim, capacity), values, headDim, keyStart, keyEnd, scale, offsets,
            scratch, output, capture, 0.5f, variant);

        var expectedCapture = new double[keyEnd - keyStart];
        for (int i = 0; i < queries; i++)
        {
            var logits = new double[keyEnd];
            for (int j = keyStart; j < keyEnd; j++)
            {
                double dot = 0;
                for (int d = 0; d < headDim; d++) dot += (double)q[i * headDim + d] * keys[j * headDim + d];
                logits[j] = dot * scale + (offsets[i] is { } o && j < o.Length ? o[j] : 0);
            }
            double max = Enumerable.Range(keyStart, keyEnd - keyStart).Max(j => logits[j]);
            double sum = Enumerable.Range(keyStart, keyEnd - keyStart).Sum(j => Math.Exp(logits[j] - max));
            for (int d = 0; d < headDim; d++)
            {
                double o = 0;
                for (int j = keyStart; j < keyEnd; j++) o += Math.Exp(logits[j] - max) / sum * values[j * headDim + d];
                Assert.Equal(o, output[i * headDim + d], 1e-5);
            }
            for (int j = keyStart; j < keyEnd; j++) expectedCapture[j - keyStart] += 0.5 * Math.Exp(logits[j] - max) / sum;
        }
        for (int j = 0; j < capture.Length; j++) Assert.Equal(expectedCapture[j], capture[j], 1e-6);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Query_GivesTheSameBits_InAnyGroup(KernelVariant variant)
    {
        // A decode row is one group, a prefill row another, a different batch yet another: the bits must not move.
        var rng = new Random(4);
        int headDim = 64, queries = 7, keyStart = 3, keyEnd = 77;
        var q = RandomArray(rng, queries * headDim);
        var keys = PackKeys(RandomArray(rng, 80 * headDim), headDim, 80);
        var values = RandomArray(rng, 80 * headDim);
        var offsets = Enumerable.Range(0, queries).Select(_ => RandomArray(rng, 50, 2)).ToArray();
        var scratch = new float[Attention.ScratchLength(keyStart, keyEnd, headDim)];
        var together = new float[queries * headDim];
        Attention.Forward(q, queries, keys, values, headDim, keyStart, keyEnd, 0.125f, offsets, scratch, together, variant: variant);
        for (int i = 0; i < queries; i++)
        {
            var alone = new float[headDim];
            Attention.Forward(q.AsSpan(i * headDim, headDim), 1, keys, values, headDim, keyStart, keyEnd, 0.125f, offsets.AsSpan(i, 1),
                scratch, alone, variant: variant);
            Assert.Equal(together.AsSpan(i * headDim, headDim).ToArray(), alone);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Chunks_MergedInOrder_GiveTheBitsOfOnePass(KernelVariant variant)
    {
        // What a decode step split over threads relies on.
        var rng = new Random(5);
        int headDim = 64, queries = 3, keyStart = 37, keyEnd = 700, capacity = 704;
        var q = RandomArray(rng, queries * headDim, 2);
        var keys = PackKeys(RandomArray(rng, capacity * headDim), headDim, capacity);
        var values = RandomArray(rng, capacity * headDim);
        var offsets = new[] { RandomArray(rng, 300, 2), null, RandomArray(rng, 300, 2) };
        var scratch = new float[Attention.ScratchLength(keyStart, keyEnd, headDim)];
        var onePass = new float[queries * headDim];
        Attention.Forward(q, queries, keys, values, headDim, keyStart, keyEnd, 0.125f, offsets, scratch, onePass, variant: variant);

        int chunks = Attention.ChunkCount(keyStart, keyEnd);
        Assert.Equal(3, chunks);
        var partial = new float[chunks][];
        var max = new float[chunks][];
        var sum = new float[chunks][];
        for (int k = chunks - 1; k >= 0; k--) // any order of computing; merged in chunk order
        {
            partial[k] = new float[queries * headDim];
            max[k] = new float[queries];
            sum[k] = new float[queries];
            Attention.ForwardChunk(q, queries, keys, values, headDim, keyStart, keyEnd, k, 0.125f, offsets, scratch, partial[k], max[k], sum[k], variant);
        }
        for (int i = 0; i < queries; i++)
        {
            var o = partial[0].AsSpan(i * headDim, headDim).ToArray();
            float m = max[0][i], l = sum[0][i];
            for (int k = 1; k < chunks; k++) Attention.MergeChunk(o, ref m, ref l, partial[k].AsSpan(i * headDim, headDim), max[k][i], sum[k][i]);
            Attention.FinishChunks(o, l);
            Assert.Equal(onePass.AsSpan(i * headDim, headDim).ToArray(), o);
        }
    }

    [Fact]
    public void LongDecodeStep_SplitOverThreads_GivesTheBitsOfABatchAndOfAPrefill()
    {
        // stories260K at 512 positions: alone, a decode step is split into (KV head, chunk) items; in a batch of two it
        // is not; as the last row of a prefill it is one pass per row block.
        var backend = ModelCache.Get("stories260K").Backend;
        int vocab = backend.Config.VocabSize;
        var rng = new Random(12);
        var prompts = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, 511).Select(i => i == 0 ? 1 : rng.Next(3, vocab)).ToArray()).ToArray();
        var caches = prompts.Select(p => backend.CreateCache(512)).ToArray();
        var scratch = new float[vocab];
        for (int b = 0; b < 2; b++) backend.Forward(caches[b], prompts[b], null, scratch);
        var batched = new float[2 * vocab];
        backend.DecodeBatch(caches, [9, 9], [], batched);
        for (int b = 0; b < 2; b++)
        {
            caches[b].Truncate(511);
            var alone = new float[vocab];
            backend.DecodeBatch([caches[b]], [9], [], alone);
            Assert.Equal(batched.AsSpan(b * vocab, vocab).ToArray(), alone);
            var whole = new float[vocab];
            backend.Forward(backend.CreateCache(512), [.. prompts[b], 9], null, whole);
            Assert.Equal(alone, whole);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void HugeNegativeOffsets_LeaveOnlyTheOtherKey(KernelVariant variant)
    {
        // exp underflow: offsets of −1e4 (or −∞) must give weight 0, not NaN or a denormal residue.
        var rng = new Random(6);
        int headDim = 32, keys = 40;
        var q = RandomArray(rng, headDim);
        var packed = PackKeys(RandomArray(rng, 48 * headDim), headDim, 48);
        var values = RandomArray(rng, 48 * headDim);
        var offsets = Enumerable.Repeat(-1e4f, keys).ToArray();
        offsets[17] = 0;
        offsets[3] = float.NegativeInfinity;
        var output = new float[headDim];
        var capture = new float[keys];
        Attention.Forward(q, 1, packed, values, headDim, 0, keys, 0.2f, new[] { offsets }, new float[Attention.ScratchLength(0, keys, headDim)],
            output, capture, 1f, variant);
        for (int d = 0; d < headDim; d++) Assert.Equal(values[17 * headDim + d], output[d], 1e-6);
        for (int j = 0; j < keys; j++) Assert.Equal(j == 17 ? 1f : 0f, capture[j]);
    }

    public static TheoryData<KernelVariant> Variants()
    {
        var data = new TheoryData<KernelVariant>();
        foreach (var v in KernelDispatch.Available) data.Add(v);
        return data;
    }

    public static TheoryData<string> Models => new() { "stories260K", "tiny-qwen2", "tiny-mistral", "tiny-qwen3" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Decode_InABatch_AloneAndAsPrefillRow_GiveTheSameLogits(string model)
    {
        var backend = ModelCache.Get(model).Backend;
        int vocab = backend.Config.VocabSize, layers = backend.Config.NumHiddenLayers, heads = backend.Config.NumAttentionHeads;
        var rng = new Random(9);
        var prompts = Enumerable.Range(0, 5).Select(b => Enumerable.Range(0, 9 + 4 * b).Select(i => i == 0 ? 1 : rng.Next(3, vocab)).ToArray()).ToArray();
        int next = 7;
        // steering on the second sequence (decode steps included), so offsets meet batching too
        var steer = new AttentionOffsets(layers, heads, prompts[1].Length);
        for (int l = 0; l < layers; l++) for (int j = 2; j < 5; j++) steer.GetOrCreate(l, heads - 1)[j] = 1.5f;
        AttentionOffsets?[] offsets = [null, steer, null, null, null];

        var caches = prompts.Select(p => backend.CreateCache(p.Length + 1)).ToArray();
        var scratch = new float[vocab];
        for (int b = 0; b < prompts.Length; b++) backend.Forward(caches[b], prompts[b], offsets[b], scratch);
        var batched = new float[prompts.Length * vocab];
        backend.DecodeBatch(caches, Enumerable.Repeat(next, prompts.Length).ToArray(), offsets, batched);

        for (int b = 0; b < prompts.Length; b++)
        {
            var cache = backend.CreateCache(prompts[b].Length + 1);
            backend.Forward(cache, prompts[b], offsets[b], scratch);
            var alone = new float[vocab];
            backend.DecodeBatch([cache], [next], [offsets[b]], alone);
            Assert.Equal(batched.AsSpan(b * vocab, vocab).ToArray(), alone);

            // the same token as the last row of a prefill: same bits
            var whole = new float[vocab];
            backend.Forward(backend.CreateCache(prompts[b].Length + 1), [.. prompts[b], next], offsets[b], whole);
            Assert.Equal(alone, whole);
        }
    }

    [Fact]
    public void DecodeStep_AllocatesNothing()
    {
        var backend = ModelCache.Get("tiny-qwen2").Backend;
        int vocab = backend.Config.VocabSize;
        var caches = Enumerable.Range(0, 3).Select(_ => backend.CreateCache(64)).ToArray();
        var logits = new float[3 * vocab];
        foreach (var c in caches) backend.Forward(c, [1, 300, 301, 302, 303, 304, 305, 306, 307, 308], null, logits.AsSpan(0, vocab));
        int[] tokens = [5, 6, 7];
        backend.DecodeBatch(caches, tokens, [], logits); // warm-up: per-thread scratch
        long before = GC.GetAllocatedBytesForCurrentThread(); // this thread only: other tests run in parallel
        for (int step = 0; step < 20; step++) backend.DecodeBatch(caches, tokens, [], logits);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
