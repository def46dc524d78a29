using System.Buffers;

namespace SteerServer.Models.Inference;

/// <summary>The two classic calls (one sequence's prefill, one decode step for a batch), built on <see cref="IModelBackend.Run"/>.</summary>
public static class ModelBackendExtensions
{
    /// <summary>
    /// Appends <paramref name="tokens"/> to <paramref name="cache"/> and writes the last position's logits, or with
    /// <paramref name="allPositions"/> <c>[tokens.Length, vocab]</c>. <paramref name="offsets"/> (null = none) apply to every row.
    /// </summary>
    public static void Forward(this IModelBackend backend, KvCache cache, ReadOnlySpan<int> tokens, AttentionOffsets? offsets,
        Span<float> logits, bool allPositions = false, AttentionCapture? capture = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var ids = ArrayPool<int>.Shared.Rent(Math.Max(1, tokens.Length));
        var items = ArrayPool<BatchItem>.Shared.Rent(1);
        try
        {
            tokens.CopyTo(ids);
            items[0] = new BatchItem(cache, ids.AsMemory(0, tokens.Length), offsets, allPositions ? LogitsMode.All : LogitsMode.Last, capture);
            backend.Run(items.AsSpan(0, 1), logits);
        }
        finally
        {
            items[0] = default;
            ArrayPool<BatchItem>.Shared.Return(items);
            ArrayPool<int>.Shared.Return(ids);
        }
    }

    /// <summary>
    /// One decode step: <c>tokens[i]</c> is appended to <c>caches[i]</c>; logits <c>[batch, vocab]</c>. <c>offsets[i]</c>
    /// applies only when its <see cref="AttentionOffsets.SteerDecode"/> is true; <paramref name="offsets"/> may be empty.
    /// </summary>
    public static void DecodeBatch(this IModelBackend backend, ReadOnlySpan<KvCache> caches, ReadOnlySpan<int> tokens,
        ReadOnlySpan<AttentionOffsets?> offsets, Span<float> logits)
    {
        int batch = caches.Length;
        if (tokens.Length != batch) throw new ArgumentException($"{batch} caches but {tokens.Length} tokens", nameof(tokens));
        if (offsets.Length != 0 && offsets.Length != batch) throw new ArgumentException($"{batch} caches but {offsets.Length} offsets", nameof(offsets));
        if (batch == 0) return;
        var ids = ArrayPool<int>.Shared.Rent(batch);
        var items = ArrayPool<BatchItem>.Shared.Rent(batch);
        try
        {
            tokens.CopyTo(ids);
            for (int i = 0; i < batch; i++)
            {
                var cache = caches[i] ?? throw new ArgumentNullException(nameof(caches), $"caches[{i}] is null");
                var steering = offsets.Length != 0 && offsets[i] is { SteerDecode: true } o ? o : null;
                items[i] = new BatchItem(cache, ids.AsMemory(i, 1), steering);
            }
            backend.Run(items.AsSpan(0, batch), logits);
        }
        finally
        {
            Array.Clear(items, 0, batch);
            ArrayPool<BatchItem>.Shared.Return(items);
            ArrayPool<int>.Shared.Return(ids);
        }
    }
}
