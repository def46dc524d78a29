using SteerServer.Models.Checkpoints;

namespace SteerServer.Models.Inference;

/// <summary>
/// The compute behind a <see cref="Model"/>: prefill/extend one sequence, or decode one step for a batch.
/// Implementations serialise calls internally (one forward at a time); caches belong to one backend.
/// </summary>
public interface IModelBackend : IDisposable
{
    ModelConfig Config { get; }

    /// <summary>A cache for one sequence of up to <paramref name="capacity"/> positions.</summary>
    KvCache CreateCache(int capacity);

    /// <summary>
    /// Appends <paramref name="tokens"/> to <paramref name="cache"/> (prefill or extend) and writes logits:
    /// the last position's <c>[vocab]</c>, or with <paramref name="allPositions"/> <c>[tokens.Length, vocab]</c>.
    /// <paramref name="offsets"/>: null = no steering; otherwise applied to every row of this call (regardless of
    /// <see cref="AttentionOffsets.SteerDecode"/>, which only concerns <see cref="DecodeBatch"/>).
    /// <paramref name="capture"/>: optional per-layer attention statistics (see <see cref="AttentionCapture"/>).
    /// </summary>
    void Forward(KvCache cache, ReadOnlySpan<int> tokens, AttentionOffsets? offsets, Span<float> logits,
                 bool allPositions = false, AttentionCapture? capture = null);

    /// <summary>
    /// One decode step for a batch: <c>tokens[i]</c> is appended to <c>caches[i]</c>; logits <c>[batch, vocab]</c>.
    /// <c>offsets[i]</c> applies to sequence i when its <see cref="AttentionOffsets.SteerDecode"/> is true
    /// (prompt key columns only). <paramref name="offsets"/> may be empty (no steering at all).
    /// </summary>
    void DecodeBatch(ReadOnlySpan<KvCache> caches, ReadOnlySpan<int> tokens,
                     ReadOnlySpan<AttentionOffsets?> offsets, Span<float> logits);
}
