using SteerServer.Models.Checkpoints;

namespace SteerServer.Models.Inference;

/// <summary>
/// Keys and values of one sequence for every layer, up to <see cref="Capacity"/> positions. Created by
/// <see cref="IModelBackend.CreateCache"/>; <see cref="Truncate"/> lets a prompt's cache be reused.
/// Memory grows with use (doubling, amortised), so a cache may be created at the model's full context
/// and still cost only what the sequence fills.
/// </summary>
public sealed class KvCache
{
    /// <summary>Positions allocated up front (or the capacity, when smaller).</summary>
    private const int InitialPositions = 256;

    internal KvCache(ModelConfig config, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        NumLayers = config.NumHiddenLayers;
        NumKvHeads = config.NumKeyValueHeads;
        HeadDim = config.HeadDim;
        if ((long)NumKvHeads * capacity * HeadDim > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"a KV cache of {capacity} positions is too large for one array per layer");
        Keys = new float[NumLayers][];
        Values = new float[NumLayers][];
        Allocate(Math.Min(capacity, InitialPositions));
    }

    /// <summary>Positions filled.</summary>
    public int Length { get; internal set; }

    /// <summary>The most positions this cache will hold.</summary>
    public int Capacity { get; }

    /// <summary>Positions currently backed by memory (≥ <see cref="Length"/>, ≤ <see cref="Capacity"/>).</summary>
    public int AllocatedPositions { get; private set; }

    internal int NumLayers { get; }
    internal int NumKvHeads { get; }
    internal int HeadDim { get; }

    /// <summary>Per layer: [numKvHeads, AllocatedPositions, headDim] (head-major so one head's keys are contiguous).</summary>
    internal float[][] Keys { get; }

    /// <summary>Per layer: [numKvHeads, AllocatedPositions, headDim].</summary>
    internal float[][] Values { get; }

    /// <summary>Forgets every position (memory is kept for reuse).</summary>
    public void Reset() => Length = 0;

    /// <summary>Keeps the first <paramref name="length"/> positions (e.g. a shared prompt prefix).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    /// <summary>Offset of (kvHead, pos) in a layer's <see cref="Keys"/>/<see cref="Values"/> array.</summary>
    internal int Index(int kvHead, int pos) => (kvHead * AllocatedPositions + pos) * HeadDim;

    /// <summary>Makes room for <paramref name="positions"/> positions (≤ <see cref="Capacity"/>), keeping the filled ones.</summary>
    internal void EnsureAllocated(int positions)
    {
        if (positions <= AllocatedPositions) return;
        if (positions > Capacity) throw new ArgumentOutOfRangeException(nameof(positions));
        int grown = (int)Math.Min(Capacity, Math.Max(positions, 2L * AllocatedPositions));
        Allocate(grown);
    }

    private void Allocate(int positions)
    {
        int old = AllocatedPositions;
        for (int l = 0; l < NumLayers; l++)
        {
            Keys[l] = Regrow(Keys[l], old, positions);
            Values[l] = Regrow(Values[l], old, positions);
        }
        AllocatedPositions = positions;
    }

    private float[] Regrow(float[]? current, int oldPositions, int newPositions)
    {
        var next = GC.AllocateUninitializedArray<float>(NumKvHeads * newPositions * HeadDim);
        if (current != null)
            for (int h = 0; h < NumKvHeads; h++)
                current.AsSpan(h * oldPositions * HeadDim, Length * HeadDim).CopyTo(next.AsSpan(h * newPositions * HeadDim));
        return next;
    }
}
