using SteerServer.Models.Checkpoints;
using SteerServer.Models.Inference;
using static TorchSharp.torch;

namespace SteerServer.Backends.Torch;

/// <summary>
/// One sequence's keys and values as a single device tensor <c>[numLayers, 2, numKvHeads, allocatedPositions, headDim]</c>
/// (ragged: each sequence has its own, sized to what it holds, not to the longest sequence of a batch). It grows by
/// doubling, like the CPU cache, so a cache created at the full context costs only what the sequence fills.
/// Also keeps the device copy of this sequence's steering offsets between steps (see <see cref="Offsets"/>).
/// </summary>
internal sealed class TorchKvCache : KvCache
{
    /// <summary>Positions allocated up front (or the capacity, when smaller).</summary>
    private const int InitialPositions = 256;

    private readonly ModelConfig config;
    private readonly ScalarType type;
    private readonly Device device;
    private Tensor kv;                       // [numLayers, 2, numKvHeads, AllocatedPositions, headDim]
    private AttentionOffsets? offsetsSource; // the offsets the device copies below were made from
    private Tensor?[]? offsetsByLayer;       // [numLayers] → [numHeads, PromptLength] or null when the layer is not steered
    private int length;
    private bool disposed;

    internal TorchKvCache(TorchBackend owner, ModelConfig config, ScalarType type, Device device, int capacity, int allocate)
    {
        Owner = owner;
        this.config = config;
        this.type = type;
        this.device = device;
        Capacity = capacity;
        kv = NewStorage(Math.Min(capacity, Math.Max(allocate, InitialPositions)));
    }

    internal TorchBackend Owner { get; }

    public override int Length => length;
    public override int Capacity { get; }
    public override long AllocatedBytes => disposed ? 0 : kv.numel() * kv.element_size();

    /// <summary>Positions currently backed by device memory.</summary>
    internal int AllocatedPositions => (int)kv.shape[3];

    public override void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, this.length);
        this.length = length;
    }

    public override KvCache Fork(int length, int capacity)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, this.length);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, Math.Max(1, length));
        var fork = new TorchKvCache(Owner, config, type, device, capacity, length);
        if (length > 0)
        {
            using var source = kv.narrow(3, 0, length);
            using var target = fork.kv.narrow(3, 0, length);
            target.copy_(source);
        }
        fork.length = length;
        return fork;
    }

    /// <summary>Makes room for <paramref name="positions"/> positions (≤ Capacity), keeping the filled ones. Call outside any dispose scope's reach: the storage is detached from it.</summary>
    internal void EnsureAllocated(int positions)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (positions <= AllocatedPositions) return;
        var grown = NewStorage((int)Math.Min(Capacity, Math.Max(positions, 2L * AllocatedPositions)));
        if (length > 0)
        {
            using var source = kv.narrow(3, 0, length);
            using var target = grown.narrow(3, 0, length);
            target.copy_(source);
        }
        kv.Dispose();
        kv = grown;
    }

    /// <summary>Writes <paramref name="keys"/> and <paramref name="values"/> (<c>[n, numKvHeads, headDim]</c>) of <paramref name="layer"/> at positions start … start+n−1.</summary>
    internal void Store(int layer, int start, Tensor keys, Tensor values)
    {
        long n = keys.shape[0];
        kv[layer, 0].narrow(1, start, n).copy_(keys.transpose(0, 1));
        kv[layer, 1].narrow(1, start, n).copy_(values.transpose(0, 1));
    }

    /// <summary>Views of the cached keys and values of <paramref name="layer"/> for positions from … to−1: <c>[numKvHeads, to−from, headDim]</c> each.</summary>
    internal (Tensor Keys, Tensor Values) Read(int layer, int from, int to) =>
        (kv[layer, 0].narrow(1, from, to - from), kv[layer, 1].narrow(1, from, to - from));

    internal void Advance(int n) => length += n;

    /// <summary>
    /// The steering offsets of <paramref name="layer"/> on the device, <c>[numHeads, PromptLength]</c> (unsteered heads 0), or null
    /// when no head of the layer is steered. Uploaded once per offsets object and kept for the sequence's decode steps
    /// (the scheduler hands the same object every step; the object is not changed once a sequence runs).
    /// </summary>
    internal Tensor? Offsets(AttentionOffsets offsets, int layer)
    {
        if (!ReferenceEquals(offsets, offsetsSource)) ReleaseOffsets();
        offsetsSource = offsets;
        offsetsByLayer ??= new Tensor?[config.NumHiddenLayers];
        if (offsetsByLayer[layer] is { } cached) return cached;
        if (!offsets.HasLayer(layer) || offsets.PromptLength == 0) return null;
        int heads = offsets.NumHeads, prompt = offsets.PromptLength;
        var rows = new float[heads * prompt];
        for (int h = 0; h < heads; h++) offsets.Get(layer, h)?.CopyTo(rows, h * prompt);
        using var host = DeviceTensors.Upload<float>(rows, [heads, prompt], ScalarType.Float32, device);
        return offsetsByLayer[layer] = host.to(type).DetachFromDisposeScope();
    }

    public override void Dispose()
    {
        if (disposed) return;
        disposed = true;
        kv.Dispose();
        ReleaseOffsets();
        base.Dispose();
    }

    private void ReleaseOffsets()
    {
        if (offsetsByLayer != null)
            foreach (var t in offsetsByLayer) t?.Dispose();
        offsetsByLayer = null;
        offsetsSource = null;
    }

    private Tensor NewStorage(int positions) =>
        empty([config.NumHiddenLayers, 2, config.NumKeyValueHeads, positions, config.HeadDim], type, device).DetachFromDisposeScope();
}
