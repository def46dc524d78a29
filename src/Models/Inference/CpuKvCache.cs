using SteerServer.Models.Checkpoints;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>
/// The CPU engine's cache: managed arrays in the attention kernel's key-panel layout. Memory grows with use
/// (doubling, amortised), so a cache may be created at the model's full context and still cost only what the
/// sequence fills.
/// </summary>
internal sealed class CpuKvCache : KvCache
{
    /// <summary>Positions allocated up front (or the capacity, when smaller).</summary>
    private const int InitialPositions = 256;

    private int length;

    internal CpuKvCache(ModelConfig config, int capacity)
        : this(config.NumHiddenLayers, config.NumKeyValueHeads, config.HeadDim, capacity, InitialPositions) { }

    private CpuKvCache(int numLayers, int numKvHeads, int headDim, int capacity, int initialPositions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        if ((long)numKvHeads * (capacity + (long)Attention.Panel) * headDim > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"a KV cache of {capacity} positions is too large for one array per layer");
        capacityPositions = capacity;
        NumLayers = numLayers;
        NumKvHeads = numKvHeads;
        HeadDim = headDim;
        Keys = new float[NumLayers][];
        Values = new float[NumLayers][];
        Allocate(RoundToPanel(Math.Min(capacity, initialPositions)));
    }

    private readonly int capacityPositions;

    // Whole key panels, so attention reads every panel it touches from this head's block.
    private static int RoundToPanel(int positions) => (positions + Attention.Panel - 1) & ~(Attention.Panel - 1);

    public override int Length => length;

    public override int Capacity => capacityPositions;

    public override long AllocatedBytes => 2L * sizeof(float) * NumLayers * NumKvHeads * AllocatedPositions * HeadDim;

    /// <summary>Positions currently backed by memory (≥ <see cref="Length"/>; ≤ <see cref="Capacity"/> rounded up to a key panel).</summary>
    internal int AllocatedPositions { get; private set; }

    internal int NumLayers { get; }
    internal int NumKvHeads { get; }
    internal int HeadDim { get; }

    /// <summary>
    /// Per layer: [numKvHeads, AllocatedPositions / 16, headDim, 16]: head-major, each head's keys in panels of
    /// <see cref="Attention.Panel"/> positions (<see cref="Attention.KeyIndex"/>), which attention reads 16 keys per vector.
    /// </summary>
    internal float[][] Keys { get; }

    /// <summary>Per layer: [numKvHeads, AllocatedPositions, headDim].</summary>
    internal float[][] Values { get; }

    public override void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        this.length = length;
    }

    public override KvCache Fork(int length, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, length);
        var fork = new CpuKvCache(NumLayers, NumKvHeads, HeadDim, capacity, Math.Max(length, InitialPositions));
        int keyPositions = RoundToPanel(length);
        for (int l = 0; l < NumLayers; l++)
            for (int h = 0; h < NumKvHeads; h++)
            {
                // Whole key panels (lanes past `length` are finite leftovers, masked by attention); exact value rows.
                Keys[l].AsSpan(Index(h, 0), keyPositions * HeadDim).CopyTo(fork.Keys[l].AsSpan(fork.Index(h, 0)));
                Values[l].AsSpan(Index(h, 0), length * HeadDim).CopyTo(fork.Values[l].AsSpan(fork.Index(h, 0)));
            }
        fork.length = length;
        return fork;
    }

    /// <summary>Appends <paramref name="count"/> positions written by a forward.</summary>
    internal void Advance(int count) => length += count;

    /// <summary>Offset of (kvHead, pos) in a layer's <see cref="Values"/> array; of the head's key block when pos = 0.</summary>
    internal int Index(int kvHead, int pos) => (kvHead * AllocatedPositions + pos) * HeadDim;

    /// <summary>Writes the keys and values of every KV head (<c>[numKvHeads * headDim]</c> each) at <paramref name="pos"/> of <paramref name="layer"/>.</summary>
    internal void Store(int layer, int pos, ReadOnlySpan<float> keys, ReadOnlySpan<float> values)
    {
        int block = AllocatedPositions * HeadDim;
        for (int h = 0; h < NumKvHeads; h++)
        {
            Attention.StoreKey(keys.Slice(h * HeadDim, HeadDim), Keys[layer].AsSpan(h * block, block), pos);
            values.Slice(h * HeadDim, HeadDim).CopyTo(Values[layer].AsSpan(Index(h, pos), HeadDim));
        }
    }

    /// <summary>Makes room for <paramref name="positions"/> positions (≤ <see cref="Capacity"/>), keeping the filled ones.</summary>
    internal void EnsureAllocated(int positions)
    {
        if (positions <= AllocatedPositions) return;
        if (positions > Capacity) throw new ArgumentOutOfRangeException(nameof(positions));
        int grown = (int)Math.Min(Capacity, Math.Max(positions, 2L * AllocatedPositions));
        Allocate(RoundToPanel(grown));
    }

    private void Allocate(int positions)
    {
        int old = AllocatedPositions;
        for (int l = 0; l < NumLayers; l++)
        {
            Keys[l] = Regrow(Keys[l], old, positions, RoundToPanel(Length));
            Values[l] = Regrow(Values[l], old, positions, Length);
        }
        AllocatedPositions = positions;
    }

    // Zeroed, not uninitialised: attention reads whole key panels, and never-written lanes must be finite.
    private float[] Regrow(float[]? current, int oldPositions, int newPositions, int keep)
    {
        var next = new float[NumKvHeads * newPositions * HeadDim];
        if (current != null)
            for (int h = 0; h < NumKvHeads; h++)
                current.AsSpan(h * oldPositions * HeadDim, keep * HeadDim).CopyTo(next.AsSpan(h * newPositions * HeadDim));
        return next;
    }
}
