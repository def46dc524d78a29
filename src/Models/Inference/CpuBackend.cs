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
    }

    public ModelConfig Config { get; }
    public ArchitectureTraits Traits { get; }
    public DecoderWeights Weights { get; }

    /// <summary>RoPE inverse frequencies after rope_scaling (HF <c>inv_freq</c>).</summary>
    public float[] RopeInverseFrequencies => decoder.InverseFrequencies.ToArray();

    public KvCache CreateCache(int capacity)
    {
        if (capacity <= 0) throw SteerException.InvalidRequest($"KV cache capacity must be positive, got {capacity}");
        return new KvCache(Config, capacity);
    }

    public void Forward(KvCache cache, ReadOnlySpan<int> tokens, AttentionOffsets? offsets, Span<float> logits,
        bool allPositions = false, AttentionCapture? capture = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int vocab = Config.VocabSize;
        CheckCache(cache);
        if (tokens.Length == 0) throw SteerException.InvalidRequest("Forward needs at least one token", "tokens");
        if (cache.Length + tokens.Length > cache.Capacity)
            throw SteerException.ContextLength($"{cache.Length} cached + {tokens.Length} new tokens exceed the KV cache capacity of {cache.Capacity}");
        long need = allPositions ? (long)tokens.Length * vocab : vocab;
        if (logits.Length < need) throw new ArgumentException($"logits needs {need} floats, got {logits.Length}", nameof(logits));
        CheckTokens(tokens);
        if (offsets != null) CheckOffsets(offsets);
        if (capture != null && (capture.NumLayers != Config.NumHiddenLayers || capture.Length < cache.Length + tokens.Length))
            throw new ArgumentException($"capture must have {Config.NumHiddenLayers} layers and length ≥ {cache.Length + tokens.Length}", nameof(capture));

        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            for (int start = 0; start < tokens.Length; start += MaxChunkRows)
            {
                int n = Math.Min(MaxChunkRows, tokens.Length - start);
                var s = State(n);
                cache.EnsureAllocated(cache.Length + n);
                for (int r = 0; r < n; r++)
                {
                    s.Tokens[r] = tokens[start + r];
                    s.Positions[r] = cache.Length + r;
                    s.Caches[r] = cache;
                    s.Offsets[r] = offsets;
                }
                decoder.Run(s, n, capture);
                cache.Length += n;
                if (allPositions) decoder.Logits(s, 0, n, logits.Slice(start * vocab, n * vocab));
                else if (start + n == tokens.Length) decoder.Logits(s, n - 1, 1, logits[..vocab]);
                Array.Clear(s.Caches, 0, n);
                Array.Clear(s.Offsets, 0, n);
            }
        }
    }

    public void DecodeBatch(ReadOnlySpan<KvCache> caches, ReadOnlySpan<int> tokens, ReadOnlySpan<AttentionOffsets?> offsets, Span<float> logits)
    {
        int batch = caches.Length, vocab = Config.VocabSize;
        if (batch == 0) return;
        if (tokens.Length != batch) throw new ArgumentException($"{batch} caches but {tokens.Length} tokens", nameof(tokens));
        if (offsets.Length != 0 && offsets.Length != batch) throw new ArgumentException($"{batch} caches but {offsets.Length} offsets", nameof(offsets));
        if (logits.Length < (long)batch * vocab) throw new ArgumentException($"logits needs {batch * vocab} floats", nameof(logits));
        CheckTokens(tokens);
        for (int i = 0; i < batch; i++)
        {
            var cache = caches[i] ?? throw new ArgumentNullException(nameof(caches), $"caches[{i}] is null");
            CheckCache(cache);
            if (cache.Length + 1 > cache.Capacity)
                throw SteerException.ContextLength($"sequence {i}: the KV cache is full ({cache.Capacity} positions)");
            for (int k = 0; k < i; k++)
                if (ReferenceEquals(caches[k], cache)) throw new ArgumentException($"caches[{k}] and caches[{i}] are the same cache", nameof(caches));
            if (offsets.Length != 0 && offsets[i] is { } o) CheckOffsets(o);
        }

        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            for (int start = 0; start < batch; start += MaxChunkRows)
            {
                int n = Math.Min(MaxChunkRows, batch - start);
                var s = State(n);
                for (int r = 0; r < n; r++)
                {
                    var cache = caches[start + r];
                    cache.EnsureAllocated(cache.Length + 1);
                    s.Tokens[r] = tokens[start + r];
                    s.Positions[r] = cache.Length;
                    s.Caches[r] = cache;
                    // Decode steps are steered only when the sequence asked for it (steer_decode).
                    s.Offsets[r] = offsets.Length != 0 && offsets[start + r] is { SteerDecode: true } o ? o : null;
                }
                decoder.Run(s, n, capture: null);
                for (int r = 0; r < n; r++) s.Caches[r].Length++;
                decoder.Logits(s, 0, n, logits.Slice(start * vocab, n * vocab));
                Array.Clear(s.Caches, 0, n);
                Array.Clear(s.Offsets, 0, n);
            }
        }
    }

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

    private void CheckCache(KvCache cache)
    {
        if (cache.NumLayers != Config.NumHiddenLayers || cache.NumKvHeads != Config.NumKeyValueHeads || cache.HeadDim != Config.HeadDim)
            throw new ArgumentException("the KV cache was created for a different model", nameof(cache));
    }

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        for (int i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= (uint)Config.VocabSize)
                throw SteerException.InvalidRequest($"token id {tokens[i]} at index {i} is outside the vocabulary [0, {Config.VocabSize})", "prompt");
    }

    private void CheckOffsets(AttentionOffsets offsets)
    {
        if (offsets.NumLayers != Config.NumHiddenLayers || offsets.NumHeads != Config.NumAttentionHeads)
            throw new ArgumentException(
                $"offsets are for {offsets.NumLayers} layers × {offsets.NumHeads} heads, the model has {Config.NumHiddenLayers} × {Config.NumAttentionHeads}", nameof(offsets));
    }
}
