using SteerServer.Models.Checkpoints;

namespace SteerServer.Models.Inference;

/// <summary>
/// The compute behind a <see cref="Model"/>: one scheduled forward over a batch of items, each appending new tokens
/// (a prefill chunk or one decode token) to its own cache. Implementations serialise calls internally (one forward at
/// a time); caches belong to the backend that created them.
/// </summary>
public interface IModelBackend : IDisposable
{
    ModelConfig Config { get; }

    BackendInfo Info { get; }

    /// <summary>Device bytes one cached position costs over all layers (keys and values): the scheduler's budget unit.</summary>
    long KvBytesPerPosition { get; }

    /// <summary>A cache for one sequence of up to <paramref name="capacity"/> positions; capacity ≤ 0 is an InvalidRequest.</summary>
    KvCache CreateCache(int capacity);

    /// <summary>
    /// One forward over a batch. Item i appends <c>items[i].Tokens</c> to <c>items[i].Cache</c>. Logits rows go to
    /// <paramref name="logits"/> in item order: <see cref="LogitsMode.None"/> 0 rows, <see cref="LogitsMode.Last"/> 1 row
    /// (the item's last token), <see cref="LogitsMode.All"/> one row per token; each row is <c>[vocab]</c>.
    /// Offsets apply to every row of their item (prompt key columns only); whether decode steps are steered is the
    /// caller's decision, <see cref="AttentionOffsets.SteerDecode"/> is not read here. Capture needs
    /// <see cref="BackendInfo.CanCaptureAttention"/>. Bad input (token outside the vocabulary, capacity exceeded, offsets
    /// of another shape, the same cache twice) throws before any cache changes; a failed run leaves every length as it was.
    /// Results are the same bits whatever the chunking and batching.
    /// </summary>
    void Run(ReadOnlySpan<BatchItem> items, Span<float> logits);
}

/// <summary>What a backend is, for logs, /v1/models and the scheduler.</summary>
/// <param name="Name">Factory name, e.g. "cpu", "torch".</param>
/// <param name="Device">Where it computes, e.g. "cpu", "cuda:0".</param>
/// <param name="DType">Weight dtype as loaded, e.g. "q8_0".</param>
/// <param name="CanCaptureAttention">Whether <see cref="BatchItem.Capture"/> (Influence) is supported.</param>
public sealed record BackendInfo(string Name, string Device, string DType, bool CanCaptureAttention);

/// <summary>Which positions of an item need logits.</summary>
public enum LogitsMode { None, Last, All }

/// <summary>One sequence's share of a <see cref="IModelBackend.Run"/>: its new tokens, appended to its cache.</summary>
public readonly record struct BatchItem(
    KvCache Cache, ReadOnlyMemory<int> Tokens, AttentionOffsets? Offsets = null,
    LogitsMode Logits = LogitsMode.Last, AttentionCapture? Capture = null)
{
    /// <summary>Logits rows this item writes.</summary>
    public int LogitsRows => Logits switch { LogitsMode.None => 0, LogitsMode.Last => 1, _ => Tokens.Length };
}
