using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerServer.Backends.Torch;

/// <summary>
/// The TorchSharp (libtorch) backend: the same checkpoints and architectures as the CPU engine, weights and KV caches as
/// device tensors (CPU or CUDA), steering as an additive attention bias. Calls are serialised by a lock; each
/// <see cref="Run"/> is one step inside a dispose scope, so no tensor outlives it except the caches' own storage.
/// </summary>
public sealed class TorchBackend : IModelBackend
{
    private readonly object sync = new();
    private readonly TorchWeights weights;
    private readonly TorchDecoder decoder;
    private readonly ScalarType type;
    private readonly Device device;
    private readonly Func<KvCache, bool> ownsCache; // made once, not per run
    private bool disposed;

    internal TorchBackend(ModelConfig config, ArchitectureTraits traits, TorchWeights weights, ScalarType type, Device device)
    {
        Config = config;
        this.weights = weights;
        this.type = type;
        this.device = device;
        decoder = new TorchDecoder(config, traits, weights, type, device);
        ownsCache = cache => cache is TorchKvCache c && ReferenceEquals(c.Owner, this);
        Info = new BackendInfo("torch", device.ToString(), TorchDevices.Name(type), CanCaptureAttention: true);
        KvBytesPerPosition = 2L * config.NumHiddenLayers * config.NumKeyValueHeads * config.HeadDim * ElementSize(type);
    }

    public ModelConfig Config { get; }
    public BackendInfo Info { get; }
    public long KvBytesPerPosition { get; }

    /// <summary>Device bytes held by the weights.</summary>
    public long WeightBytes => weights.Bytes;

    public KvCache CreateCache(int capacity)
    {
        if (capacity <= 0) throw SteerException.InvalidRequest($"KV cache capacity must be positive, got {capacity}");
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return new TorchKvCache(this, Config, type, device, capacity, allocate: 0);
        }
    }

    public void Run(ReadOnlySpan<BatchItem> items, Span<float> logits)
    {
        int vocab = Config.VocabSize;
        var (allRows, allLogitRows) = BatchValidation.Check(items, Config, ownsCache);
        if (allRows > Array.MaxLength) throw SteerException.InvalidRequest($"a step of {allRows} tokens is too large", "tokens");
        int rows = (int)allRows, logitRows = (int)allLogitRows;
        if (logits.Length < (long)logitRows * vocab) throw new ArgumentException($"logits needs {(long)logitRows * vocab} floats, got {logits.Length}", nameof(logits));
        if (items.Length == 0) return;

        // The step's rows in item order, and which of them need logits.
        var tokens = new long[rows];
        var positions = new float[rows];
        var picked = new long[logitRows];
        var step = new StepItem[items.Length];
        for (int i = 0, row = 0, pick = 0; i < items.Length; i++)
        {
            var it = items[i];
            var cache = (TorchKvCache)it.Cache;
            var ids = it.Tokens.Span;
            step[i] = new StepItem(row, ids.Length, cache.Length, cache, it.Offsets, it.Capture);
            for (int t = 0; t < ids.Length; t++)
            {
                tokens[row + t] = ids[t];
                positions[row + t] = cache.Length + t;
            }
            if (it.Logits == LogitsMode.All) for (int t = 0; t < ids.Length; t++) picked[pick++] = row + t;
            else if (it.Logits == LogitsMode.Last) picked[pick++] = row + ids.Length - 1;
            row += ids.Length;
        }

        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            // Storage first, outside the step's scope (it outlives the step). Lengths move only after the whole step
            // succeeded, so a failed run leaves every cache as it was (rows written past Length are never read).
            foreach (var it in step) it.Cache.EnsureAllocated(it.Start + it.Count);
            using (NewDisposeScope())
            {
                var result = decoder.Forward(step, tokens, positions, picked);
                if (logitRows > 0) DeviceTensors.Download(result, logits[..(logitRows * vocab)]);
            }
            foreach (var it in step) it.Cache.Advance(it.Count);
        }
    }

    public void Dispose()
    {
        lock (sync)
        {
            if (disposed) return;
            disposed = true;
            weights.Dispose();
            decoder.Dispose();
        }
    }

    private static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
