using SteerServer.Models.Checkpoints;

namespace SteerServer.Models.Inference;

/// <summary>
/// Keys and values of one sequence for every layer, up to <see cref="Capacity"/> positions. Created by
/// <see cref="IModelBackend.CreateCache"/>; <see cref="Truncate"/> lets a prompt's cache be reused.
/// </summary>
public sealed class KvCache
{
    internal KvCache(ModelConfig config, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        NumLayers = config.NumHiddenLayers;
        NumKvHeads = config.NumKeyValueHeads;
        HeadDim = config.HeadDim;
        long perLayer = (long)NumKvHeads * capacity * HeadDim;
        if (perLayer > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(capacity), $"KV cache of {capacity} positions is too large for one array per layer");
        Keys = new float[NumLayers][];
        Values = new float[NumLayers][];
        for (int l = 0; l < NumLayers; l++)
        {
            Keys[l] = GC.AllocateUninitializedArray<float>((int)perLayer);
            Values[l] = GC.AllocateUninitializedArray<float>((int)perLayer);
        }
    }

    /// <summary>Positions filled.</summary>
    public int Length { get; internal set; }

    public int Capacity { get; }

    internal int NumLayers { get; }
    internal int NumKvHeads { get; }
    internal int HeadDim { get; }

    /// <summary>Per layer: [numKvHeads, capacity, headDim] (head-major so one head's keys are contiguous).</summary>
    internal float[][] Keys { get; }

    /// <summary>Per layer: [numKvHeads, capacity, headDim].</summary>
    internal float[][] Values { get; }

    /// <summary>Forgets every position.</summary>
    public void Reset() => Length = 0;

    /// <summary>Keeps the first <paramref name="length"/> positions (e.g. a shared prompt prefix).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    /// <summary>Offset of (kvHead, pos) in a layer's <see cref="Keys"/>/<see cref="Values"/> array.</summary>
    internal int Index(int kvHead, int pos) => (kvHead * Capacity + pos) * HeadDim;
}
