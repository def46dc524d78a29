using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Inference;

/// <summary>The checks of <see cref="IModelBackend.Run"/> that every backend makes on its items before any cache changes.</summary>
public static class BatchValidation
{
    /// <summary>
    /// Checks every item against <paramref name="config"/>: a cache of this backend and model (<paramref name="ownsCache"/>),
    /// used once, with room for the tokens; tokens inside the vocabulary; offsets and capture of the model's shape; a known
    /// logits mode. Returns the step's token rows and the logits rows it writes.
    /// </summary>
    public static (long Rows, long LogitsRows) Check(ReadOnlySpan<BatchItem> items, ModelConfig config, Func<KvCache, bool> ownsCache)
    {
        long rows = 0, logitsRows = 0;
        for (int i = 0; i < items.Length; i++)
        {
            var it = items[i];
            var cache = it.Cache ?? throw new ArgumentException($"items[{i}] has no cache", nameof(items));
            if (!ownsCache(cache))
                throw new ArgumentException($"items[{i}]: the KV cache was created by another backend or for another model", nameof(items));
            for (int k = 0; k < i; k++)
                if (ReferenceEquals(items[k].Cache, cache)) throw new ArgumentException($"items[{k}] and items[{i}] use the same cache", nameof(items));
            var tokens = it.Tokens.Span;
            if (tokens.Length == 0) throw SteerException.InvalidRequest($"items[{i}] has no tokens", "tokens");
            if ((long)cache.Length + tokens.Length > cache.Capacity)
                throw SteerException.ContextLength($"{cache.Length} cached + {tokens.Length} new tokens exceed the KV cache capacity of {cache.Capacity}");
            for (int t = 0; t < tokens.Length; t++)
                if ((uint)tokens[t] >= (uint)config.VocabSize)
                    throw SteerException.InvalidRequest($"token id {tokens[t]} at index {t} is outside the vocabulary [0, {config.VocabSize})", "prompt");
            if (it.Offsets is { } o && (o.NumLayers != config.NumHiddenLayers || o.NumHeads != config.NumAttentionHeads))
                throw new ArgumentException(
                    $"offsets are for {o.NumLayers} layers × {o.NumHeads} heads, the model has {config.NumHiddenLayers} × {config.NumAttentionHeads}", nameof(items));
            if (it.Capture is { } c && (c.NumLayers != config.NumHiddenLayers || c.Length < cache.Length + tokens.Length))
                throw new ArgumentException($"capture must have {config.NumHiddenLayers} layers and length ≥ {cache.Length + tokens.Length}", nameof(items));
            if (!Enum.IsDefined(it.Logits)) throw new ArgumentException($"items[{i}]: unknown logits mode {it.Logits}", nameof(items));
            rows += tokens.Length;
            logitsRows += it.LogitsRows;
        }
        return (rows, logitsRows);
    }
}
