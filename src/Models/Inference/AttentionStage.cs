using System.Runtime.InteropServices;
using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>
/// The attention half of a decoder layer spread over the <see cref="KernelThreadPool"/>: RoPE and the KV-cache append
/// per row, then attention per (row block, KV head), or per softmax chunk when a few long decode rows would leave a
/// thread idle. The pool calls static functions with an unmanaged context, so the state of the current stage lives
/// in fields (one forward at a time: the backend locks) and this object is found through a GCHandle, allocating nothing.
/// </summary>
internal sealed class AttentionStage : IDisposable
{
    private readonly ModelConfig config;
    private readonly KernelThreadPool pool;
    private readonly int? slidingWindow;
    private readonly float attentionScale;
    private GCHandle selfHandle; // lets the pool's static work function find this stage without allocating

    // State of the current stage, read by the pool's workers.
    private RunState? stageState;
    private int stageLayer, stageMaxKeys, stageBlocks, stageSplitItems;
    private int[] splitItems = new int[64];      // split decode: (row * numKvHeads + kvHead) << 16 | chunk
    private float[] splitPartials = new float[1024]; // split decode: per item [kvGroups * headDim] sums, [kvGroups] maxima, [kvGroups] sums
    private AttentionCapture? stageCapture;
    private int[] blockStarts = new int[2 * RowBlock]; // first row of each row block, then n

    [ThreadStatic] private static float[]? threadScratch;       // attention logits/probabilities of each thread
    [ThreadStatic] private static float[]?[]? threadOffsetRows;  // [kvGroups] the steering rows of one GQA group

    public AttentionStage(ModelConfig config, ArchitectureTraits traits, KernelThreadPool pool)
    {
        this.config = config;
        this.pool = pool;
        slidingWindow = traits.UsesSlidingWindow ? config.SlidingWindow : null;
        attentionScale = 1f / MathF.Sqrt(config.HeadDim);
        selfHandle = GCHandle.Alloc(this, GCHandleType.Normal);
    }

    public void Dispose()
    {
        if (selfHandle.IsAllocated) selfHandle.Free();
    }

    /// <summary>Rows of one sequence (a prompt chunk) attended by one work item: they share its KV block in cache.</summary>
    private const int RowBlock = 16;

    /// <summary>
    /// Attention of rows <c>0…n−1</c> into <c>s.AttOut</c>, per (row block, KV head): every query head of the GQA group
    /// reads each key and value once. Decode rows are blocks of their own (each row is another sequence). Each query's
    /// arithmetic is fixed by its own key range alone, so results never depend on the batch, the blocks or the threads.
    /// </summary>
    public unsafe void Attend(RunState s, int layer, int n, AttentionCapture? capture)
    {
        if (blockStarts.Length < n + 1) blockStarts = new int[Math.Max(n + 1, 2 * blockStarts.Length)];
        int blocks = 0;
        long work = 0;
        int maxKeys = 0;
        for (int r = 0; r < n; r++)
        {
            if (r == 0 || r - blockStarts[blocks - 1] == RowBlock || !ReferenceEquals(s.Caches[r], s.Caches[r - 1]))
                blockStarts[blocks++] = r;
            work += s.Positions[r] + 1;
            maxKeys = Math.Max(maxKeys, s.Positions[r] + 1);
        }
        blockStarts[blocks] = n;
        work *= (long)config.NumAttentionHeads * config.HeadDim;

        stageState = s;
        stageLayer = layer;
        stageMaxKeys = maxKeys;
        stageCapture = capture;
        stageBlocks = blocks;
        // Below ~32K multiply-adds a thread hand-off costs more than it saves: one chunk = the calling thread.
        bool parallel = work >= 1 << 15;
        int rowItems = n * config.NumKeyValueHeads;
        if (parallel && pool.ThreadCount > 1 && capture == null && blocks == n && rowItems < 4 * pool.ThreadCount && SplitItems(s, n) > rowItems)
        {
            // A few long decode rows: too few (row, KV head) items to keep every thread busy, so each is split into
            // its softmax chunks and merged afterwards (the same bits as one pass: Attention.ForwardChunk).
            pool.Run(&AttendChunkItems, (void*)GCHandle.ToIntPtr(selfHandle), stageSplitItems, 1);
            MergeChunks(s);
        }
        else
        {
            // With capture, whole blocks (all heads, in head order: one thread sums a row's head average);
            // otherwise (block, KV head) items.
            int items = capture != null ? blocks : blocks * config.NumKeyValueHeads;
            pool.Run(&AttendItems, (void*)GCHandle.ToIntPtr(selfHandle), items, parallel ? 1 : items);
        }
        stageState = null;
        stageCapture = null;
    }

    // Lists the (row, KV head, chunk) items of a split decode step; returns their number.
    private int SplitItems(RunState s, int n)
    {
        int items = 0, numKvHeads = config.NumKeyValueHeads;
        for (int r = 0; r < n; r++) items += numKvHeads * Attention.ChunkCount(KeyStart(s.Positions[r]), s.Positions[r] + 1);
        if (splitItems.Length < items) splitItems = new int[Math.Max(items, 2 * splitItems.Length)];
        int perItem = config.KvGroups * (config.HeadDim + 2);
        if (splitPartials.Length < items * perItem) splitPartials = new float[Math.Max(items * perItem, 2 * splitPartials.Length)];
        int i = 0;
        for (int r = 0; r < n; r++)
        {
            int chunks = Attention.ChunkCount(KeyStart(s.Positions[r]), s.Positions[r] + 1);
            for (int kvh = 0; kvh < numKvHeads; kvh++)
                for (int k = 0; k < chunks; k++) splitItems[i++] = (r * numKvHeads + kvh) << 16 | k;
        }
        stageSplitItems = items;
        return items;
    }

    private static unsafe void AttendChunkItems(void* context, int start, int end)
    {
        var self = (AttentionStage)GCHandle.FromIntPtr((nint)context).Target!;
        self.AttendChunks(start, end);
    }

    private void AttendChunks(int start, int end)
    {
        var s = stageState!;
        int headDim = config.HeadDim, groups = config.KvGroups, qDim = config.NumAttentionHeads * headDim;
        int perItem = groups * (headDim + 2);
        var (scratch, offsetRows) = ThreadBuffers();
        for (int i = start; i < end; i++)
        {
            int item = splitItems[i], k = item & 0xFFFF, r = (item >> 16) / config.NumKeyValueHeads, kvh = (item >> 16) % config.NumKeyValueHeads;
            int pos = s.Positions[r], keyStart = KeyStart(pos);
            var cache = s.Caches[r];
            int block = cache.AllocatedPositions * headDim, head = cache.Index(kvh, 0);
            var keys = cache.Keys[stageLayer].AsSpan(head, block);
            var values = cache.Values[stageLayer].AsSpan(head, block);
            var part = splitPartials.AsSpan(i * perItem, perItem);
            Attention.ForwardChunk(s.Q.AsSpan(r * qDim + kvh * groups * headDim, groups * headDim), groups, keys, values, headDim,
                keyStart, pos + 1, k, attentionScale, GroupOffsets(s, r, kvh, offsetRows), scratch,
                part[..(groups * headDim)], part.Slice(groups * headDim, groups), part.Slice(groups * headDim + groups, groups));
        }
    }

    // Merges the chunks of each (row, KV head) in chunk order into AttOut.
    private void MergeChunks(RunState s)
    {
        int headDim = config.HeadDim, groups = config.KvGroups, qDim = config.NumAttentionHeads * headDim;
        int perItem = groups * (headDim + 2);
        for (int i = 0; i < stageSplitItems;)
        {
            int rk = splitItems[i] >> 16, r = rk / config.NumKeyValueHeads, kvh = rk % config.NumKeyValueHeads;
            int first = i;
            while (i < stageSplitItems && splitItems[i] >> 16 == rk) i++;
            for (int g = 0; g < groups; g++)
            {
                var o = s.AttOut.AsSpan(r * qDim + (kvh * groups + g) * headDim, headDim);
                var p0 = splitPartials.AsSpan(first * perItem, perItem);
                p0.Slice(g * headDim, headDim).CopyTo(o);
                float max = p0[groups * headDim + g], sum = p0[groups * headDim + groups + g];
                for (int k = first + 1; k < i; k++)
                {
                    var pk = splitPartials.AsSpan(k * perItem, perItem);
                    Attention.MergeChunk(o, ref max, ref sum, pk.Slice(g * headDim, headDim), pk[groups * headDim + g], pk[groups * headDim + groups + g]);
                }
                Attention.FinishChunks(o, sum);
            }
        }
    }

    /// <summary>RoPE (rotate_half) on each row's q and k, then k and v appended to the row's cache at its position.</summary>
    public unsafe void RotateAndStore(RunState s, int layer, int n)
    {
        stageState = s;
        stageLayer = layer;
        // Rows are independent (each writes its own cache position); a prefill spreads them over the threads.
        pool.Run(&RotateAndStoreItems, (void*)GCHandle.ToIntPtr(selfHandle), n, n >= 32 ? 8 : n);
        stageState = null;
    }

    private static unsafe void RotateAndStoreItems(void* context, int start, int end)
    {
        var self = (AttentionStage)GCHandle.FromIntPtr((nint)context).Target!;
        self.RotateAndStoreRange(start, end);
    }

    private void RotateAndStoreRange(int start, int end)
    {
        var s = stageState!;
        int headDim = config.HeadDim, half = headDim / 2;
        int qDim = config.NumAttentionHeads * headDim, kvDim = config.NumKeyValueHeads * headDim;
        for (int r = start; r < end; r++)
        {
            var cos = s.Cos.AsSpan(r * half, half);
            var sin = s.Sin.AsSpan(r * half, half);
            Rope.Apply(s.Q.AsSpan(r * qDim, qDim), config.NumAttentionHeads, headDim, cos, sin);
            Rope.Apply(s.K.AsSpan(r * kvDim, kvDim), config.NumKeyValueHeads, headDim, cos, sin);
            s.Caches[r].Store(stageLayer, s.Positions[r], s.K.AsSpan(r * kvDim, kvDim), s.V.AsSpan(r * kvDim, kvDim));
        }
    }

    private static unsafe void AttendItems(void* context, int start, int end)
    {
        var self = (AttentionStage)GCHandle.FromIntPtr((nint)context).Target!;
        self.AttendRange(start, end);
    }

    private void AttendRange(int start, int end)
    {
        var s = stageState!;
        int numKvHeads = config.NumKeyValueHeads;
        var (scratch, offsetRows) = ThreadBuffers();
        bool byBlocks = stageCapture != null;
        for (int i = start; i < end; i++)
        {
            // Last blocks first: in a prefill they have the most keys, so the short ones fill in at the end.
            int b = stageBlocks - 1 - (byBlocks ? i : i / numKvHeads);
            int kvFrom = byBlocks ? 0 : i % numKvHeads, kvTo = byBlocks ? numKvHeads : kvFrom + 1;
            int r0 = blockStarts[b], r1 = blockStarts[b + 1];
            if (stageCapture != null)
                for (int r = r0; r < r1; r++)
                {
                    int len = stageCapture.Length, pos = s.Positions[r];
                    stageCapture.AvgAttention[stageLayer].AsSpan(pos * len, len).Clear();
                }
            for (int kvh = kvFrom; kvh < kvTo; kvh++)
                for (int r = r0; r < r1; r++) AttendOne(s, r, kvh, scratch, offsetRows);
        }
    }

    // This thread's scratch (grown to the stage's longest key range) and GQA group offset rows.
    private (float[] Scratch, float[]?[] OffsetRows) ThreadBuffers()
    {
        var scratch = threadScratch;
        int need = Attention.ScratchLength(0, stageMaxKeys, config.HeadDim);
        if (scratch == null || scratch.Length < need) threadScratch = scratch = new float[Math.Max(need, 2 * (scratch?.Length ?? 1024))];
        var offsetRows = threadOffsetRows;
        if (offsetRows == null || offsetRows.Length < config.KvGroups) threadOffsetRows = offsetRows = new float[]?[config.KvGroups];
        return (scratch, offsetRows);
    }

    // The steering rows of the query heads of KV head kvh for row r; empty when none of them is steered.
    private ReadOnlySpan<float[]?> GroupOffsets(RunState s, int r, int kvh, float[]?[] offsetRows)
    {
        if (s.Offsets[r] is not { } steering) return default;
        int groups = config.KvGroups;
        bool any = false;
        for (int g = 0; g < groups; g++) any |= (offsetRows[g] = steering.Get(stageLayer, kvh * groups + g)) != null;
        return any ? offsetRows.AsSpan(0, groups) : default;
    }

    // Key j is visible from query position i iff j ≤ i and, with a sliding window, i − j < window.
    private int KeyStart(int pos) => slidingWindow is int window ? Math.Max(0, pos - window + 1) : 0;

    // The query heads of KV head kvh (GQA: query head h reads KV head h / kvGroups, repeat_kv) for row r.
    private void AttendOne(RunState s, int r, int kvh, float[] scratch, float[]?[] offsetRows)
    {
        int headDim = config.HeadDim, groups = config.KvGroups, qDim = config.NumAttentionHeads * headDim;
        int pos = s.Positions[r];
        var cache = s.Caches[r];
        int keyStart = KeyStart(pos), keyEnd = pos + 1;
        var offsets = GroupOffsets(s, r, kvh, offsetRows);
        Span<float> captureRow = stageCapture != null
            ? stageCapture.AvgAttention[stageLayer].AsSpan(pos * stageCapture.Length + keyStart, keyEnd - keyStart)
            : default;
        int block = cache.AllocatedPositions * headDim, head = cache.Index(kvh, 0);
        int q = r * qDim + kvh * groups * headDim;
        Attention.Forward(
            s.Q.AsSpan(q, groups * headDim), groups,
            cache.Keys[stageLayer].AsSpan(head, block), cache.Values[stageLayer].AsSpan(head, block),
            headDim, keyStart, keyEnd, attentionScale, offsets, scratch,
            s.AttOut.AsSpan(q, groups * headDim), captureRow, 1f / config.NumAttentionHeads);
    }
}
