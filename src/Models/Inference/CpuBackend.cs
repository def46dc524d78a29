using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>
/// The managed CPU engine: f32 compute over weights in their stored dtype (SIMD through the kernels,
/// all cores through one <see cref="KernelThreadPool"/> for matmuls and per-head attention).
/// Calls are serialised by a lock; run state is allocated once per size and reused.
/// </summary>
public sealed class CpuBackend : IModelBackend
{
    /// <summary>Rows per forward chunk: bounds scratch memory for long prompts while keeping matmuls matrix-matrix.</summary>
    public const int MaxChunkRows = 512;

    private readonly object sync = new();
    private readonly Decoder decoder;
    private readonly KernelThreadPool pool;
    private readonly bool ownsPool;
    private RunState? state;
    private int[] logitsStarts = new int[16]; // per item: first logits row (reused, so a run allocates nothing)
    private int[] startLengths = new int[16]; // per item: cache length before the run, to roll back a failed one
    private readonly Func<KvCache, bool> ownsCache; // made once: the run's validation allocates nothing
    private bool disposed;

    public CpuBackend(ModelConfig config, ArchitectureTraits traits, DecoderWeights weights, int? threads = null)
    {
        Config = config;
        Traits = traits;
        Weights = weights;
        // --threads: a pool of its own; otherwise the process-wide kernel pool (all cores).
        ownsPool = threads is not null;
        pool = threads is int t ? new KernelThreadPool(Math.Max(1, t)) : KernelThreadPool.Default;
        decoder = new Decoder(config, traits, weights, pool);
        ownsCache = cache => cache is CpuKvCache c
            && c.NumLayers == config.NumHiddenLayers && c.NumKvHeads == config.NumKeyValueHeads && c.HeadDim == config.HeadDim;
        Info = new BackendInfo("cpu", "cpu", DTypeNames.Name(weights.Layers[0].QProj.DType), CanCaptureAttention: true);
        KvBytesPerPosition = 2L * sizeof(float) * config.NumHiddenLayers * config.NumKeyValueHeads * config.HeadDim;
    }

    public ModelConfig Config { get; }
    public BackendInfo Info { get; }
    public long KvBytesPerPosition { get; }
    public ArchitectureTraits Traits { get; }
    public DecoderWeights Weights { get; }

    /// <summary>RoPE inverse frequencies after rope_scaling (HF <c>inv_freq</c>).</summary>
    public float[] RopeInverseFrequencies => decoder.InverseFrequencies.ToArray();

    public KvCache CreateCache(int capacity)
    {
        if (capacity <= 0) throw SteerException.InvalidRequest($"KV cache capacity must be positive, got {capacity}");
        return new CpuKvCache(Config, capacity);
    }

    public void Run(ReadOnlySpan<BatchItem> items, Span<float> logits)
    {
        int vocab = Config.VocabSize;
        long rows = BatchValidation.Check(items, Config, ownsCache).LogitsRows;
        if (logits.Length < rows * vocab) throw new ArgumentException($"logits needs {rows * vocab} floats, got {logits.Length}", nameof(logits));
        if (items.Length == 0) return;

        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (logitsStarts.Length < items.Length)
            {
                logitsStarts = new int[Math.Max(items.Length, 2 * logitsStarts.Length)];
                startLengths = new int[logitsStarts.Length];
            }
            for (int i = 0, row = 0; i < items.Length; row += items[i].LogitsRows, i++)
            {
                logitsStarts[i] = row;
                startLengths[i] = items[i].Cache.Length;
            }
            for (int i = 0; i < items.Length; i++) Cache(items[i]).EnsureAllocated(items[i].Cache.Length + items[i].Tokens.Length);

            // Rows are packed into chunks of up to MaxChunkRows in item order; a long item spans chunks. An item with
            // a capture runs in chunks of its own (the capture is per forward). Every row's arithmetic depends on its
            // own token, position and cache alone, so the packing never changes a bit.
            int item = 0, done = 0; // next row to place: item `item`, token `done`
            try
            {
                while (item < items.Length)
                {
                    var capture = items[item].Capture;
                    var s = State(Math.Min(MaxChunkRows, RemainingRows(items, item, done)));
                    int n = 0, firstItem = item, firstDone = done;
                    while (item < items.Length && n < s.Rows)
                    {
                        var it = items[item];
                        if (it.Capture != capture) break;
                        var cache = Cache(it);
                        var tokens = it.Tokens.Span;
                        int take = Math.Min(tokens.Length - done, s.Rows - n);
                        for (int k = 0; k < take; k++, n++)
                        {
                            s.Tokens[n] = tokens[done + k];
                            s.Positions[n] = cache.Length + k;
                            s.Caches[n] = cache;
                            s.Offsets[n] = it.Offsets;
                        }
                        done += take;
                        if (done == tokens.Length) { item++; done = 0; }
                        if (capture != null) break;
                    }
                    decoder.Run(s, n, capture);
                    WriteLogits(items, s, n, firstItem, firstDone, logits);
                    Array.Clear(s.Caches, 0, n);
                    Array.Clear(s.Offsets, 0, n);
                }
            }
            catch
            {
                for (int i = 0; i < items.Length; i++) Cache(items[i]).Truncate(startLengths[i]);
                throw;
            }
        }
    }

    // Advances the caches of the rows just run and writes the logits rows that fall in this chunk.
    private void WriteLogits(ReadOnlySpan<BatchItem> items, RunState s, int n, int item, int done, Span<float> logits)
    {
        int vocab = Config.VocabSize;
        for (int row = 0; row < n;)
        {
            var it = items[item];
            int take = Math.Min(it.Tokens.Length - done, n - row);
            var cache = Cache(it);
            cache.Advance(take);
            if (it.Logits == LogitsMode.All)
                decoder.Logits(s, row, take, logits.Slice((logitsStarts[item] + done) * vocab, take * vocab));
            else if (it.Logits == LogitsMode.Last && done + take == it.Tokens.Length)
                decoder.Logits(s, row + take - 1, 1, logits.Slice(logitsStarts[item] * vocab, vocab));
            row += take;
            done += take;
            if (done == it.Tokens.Length) { item++; done = 0; }
        }
    }

    private static int RemainingRows(ReadOnlySpan<BatchItem> items, int item, int done)
    {
        long total = -done;
        for (int i = item; i < items.Length && total < MaxChunkRows; i++)
        {
            total += items[i].Tokens.Length;
            if (items[i].Capture != null) break;
        }
        return (int)Math.Min(total, MaxChunkRows);
    }

    private static CpuKvCache Cache(in BatchItem item) => (CpuKvCache)item.Cache;

    public void Dispose()
    {
        lock (sync)
        {
            if (disposed) return;
            disposed = true;
            state = null;
            decoder.Dispose();
            if (ownsPool) pool.Dispose();
        }
    }

    // One run state, grown to the next power of two rows when a bigger batch or chunk arrives.
    private RunState State(int rows)
    {
        if (state == null || state.Rows < rows)
        {
            int size = 1;
            while (size < rows) size *= 2;
            state = new RunState(Config, Math.Min(size, MaxChunkRows));
        }
        return state;
    }
}
