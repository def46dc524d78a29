using SteerServer.Models.Inference;

namespace SteerServer.Models.Generation;

/// <summary>
/// Continuous batching with a token budget per step (chunked prefill, in the manner of vLLM). Each <see cref="Step"/>
/// is one <see cref="IModelBackend.Run"/>: first one token for every decoding sequence, then the rest of
/// <see cref="MaxStepTokens"/> filled with prompt chunks of the others, oldest first. So a long prompt advances
/// chunk by chunk between the other streams' tokens, and a cancelled one stops costing work within one step.
/// With <see cref="TargetStepSeconds"/> the budget follows the measured cost per token so that a step takes about
/// that long, whatever the machine's speed or load (the chunking never changes a token, so it is free to adapt).
/// <para>
/// KV memory is taken on use, not reserved: a sequence holds the positions it has computed, and the running total
/// stays within <see cref="MaxKvTokens"/> (positions) by preempting the newest sequence, whose cache is dropped and
/// recomputed later (prompt and generated tokens, bit for bit the same as the engine is chunking-invariant). A
/// request without max_tokens therefore costs what it uses, and cannot lock others out. The oldest sequence always
/// advances, so one request larger than the budget still runs (the budget then holds it alone).
/// </para>
/// <para>
/// Sequences added together with the same prompt array and offsets (the <c>n</c> choices of one prompt) share one
/// prefill: the first computes the prompt, the others fork its cache and sample from the same logits.
/// Whether steering applies at decode steps (<see cref="AttentionOffsets.SteerDecode"/>) is decided here.
/// </para>
/// Single-threaded: the model worker owns it. A step allocates nothing but what sequences emit.
/// </summary>
public sealed class Scheduler
{
    private readonly IModelBackend backend;
    private readonly int vocabSize;
    private readonly List<Work> waiting = [];
    private readonly List<Work> active = [];   // admission order; holds at most MaxBatch (one group may exceed it alone)
    private BatchItem[] items = new BatchItem[16];
    private Work[] itemWork = new Work[16];
    private int[] itemRows = new int[16];     // first logits row of each item
    private float[] logits;                   // [rows, vocab]
    private readonly float[] sampleRow;       // a copy of a row for choices sharing it (the sampler edits logits in place)
    private int[] tokenArena;                 // the step's tokens

    /// <summary>Prompt tokens a step takes at least while a prompt waits, so prefill always advances.</summary>
    public const int MinPrefillTokens = 16;

    private double secondsPerToken; // smoothed cost of one token in a step that computed prompt tokens; 0 = not measured yet

    public Scheduler(IModelBackend backend, int maxBatch, long maxKvTokens, int maxStepTokens, double? targetStepSeconds = null)
    {
        if (targetStepSeconds is <= 0) throw new ArgumentOutOfRangeException(nameof(targetStepSeconds));
        TargetStepSeconds = targetStepSeconds;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKvTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStepTokens, maxBatch);
        this.backend = backend;
        MaxBatch = maxBatch;
        MaxKvTokens = maxKvTokens;
        MaxStepTokens = maxStepTokens;
        vocabSize = backend.Config.VocabSize;
        logits = new float[(long)(maxBatch + 1) * vocabSize];
        sampleRow = new float[vocabSize];
        tokenArena = new int[maxStepTokens];
    }

    public int MaxBatch { get; }
    public long MaxKvTokens { get; }
    public int MaxStepTokens { get; }

    /// <summary>How long a step should take (null: always fill <see cref="MaxStepTokens"/>).</summary>
    public double? TargetStepSeconds { get; }

    /// <summary>Sequences and passes started (holding or about to hold a cache).</summary>
    public int Count => active.Count;

    /// <summary>Sequences and passes added but not started yet.</summary>
    public int Waiting => waiting.Count;

    /// <summary>True when the worker may hand over more work: nothing waits and a batch slot is free.</summary>
    public bool HasRoom => waiting.Count == 0 && active.Count < MaxBatch;

    /// <summary>KV positions held by running sequences.</summary>
    public long KvTokensUsed { get; private set; }

    /// <summary>Prompt (and recomputed) tokens run through the model so far; shared prefills count once.</summary>
    public long PromptTokensComputed { get; private set; }

    /// <summary>Sequences decoded in the last step (1 token each).</summary>
    public int LastDecodeBatch { get; private set; }

    /// <summary>Preemptions so far (a sequence's cache dropped, to be recomputed).</summary>
    public long Preemptions { get; private set; }

    /// <summary>Called once for every sequence that leaves (finished, cancelled or failed), on the worker thread.</summary>
    public Action<Sequence>? Completed { get; set; }

    /// <summary>Queues the sequences of one request; consecutive ones with the same prompt array and offsets share a prefill.</summary>
    public void Add(IReadOnlyList<Sequence> sequences)
    {
        Work? leader = null;
        foreach (var s in sequences)
        {
            var w = new Work(s, null);
            if (leader != null && ReferenceEquals(leader.Sequence!.Prompt, s.Prompt) && ReferenceEquals(leader.Sequence.Offsets, s.Offsets))
            {
                w.Leader = leader;
                (leader.Followers ??= []).Add(w);
            }
            else leader = w;
            waiting.Add(w);
        }
    }

    public void Add(Sequence sequence) => Add([sequence]);

    /// <summary>Queues a capture pass (Influence); it runs chunked beside the sequences.</summary>
    public void Add(CapturePass pass) => waiting.Add(new Work(null, pass));

    /// <summary>
    /// One step: drops cancelled work, starts waiting work while slots are free, keeps KV use within the budget, then one
    /// forward over a decode token of every decoding sequence and prompt chunks of the others. False when there was nothing to do.
    /// </summary>
    public bool Step()
    {
        DropCancelled();
        Start();
        if (active.Count == 0) return false;
        int n = Plan();
        if (n == 0)
        {
            // Every startable chunk is blocked by the KV budget: free the newest cache so the oldest can advance.
            if (!Preempt()) return false;
            return true;
        }
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        long promptBefore = PromptTokensComputed;
        RunItems(n);
        Finish(n);
        if (PromptTokensComputed > promptBefore) Measure(started, (int)(PromptTokensComputed - promptBefore) + LastDecodeBatch);
        return true;
    }

    // Tokens this step may take: every decode token, and prompt tokens up to the budget (the target time's worth, if set).
    private int StepTokens()
    {
        if (TargetStepSeconds is not { } target) return MaxStepTokens;
        int decoding = 0;
        foreach (var w in active) if (w.Pending == 1 && w.Computed > 0) decoding++;
        if (decoding == 0) return MaxStepTokens; // no stream is waiting for a token: compute prompts at full speed
        // Unmeasured: start small and let the measurement grow it (a first step of MaxStepTokens could be a long stall).
        double affordable = secondsPerToken > 0 ? target / secondsPerToken : 2 * MinPrefillTokens;
        return (int)Math.Clamp(affordable, decoding + MinPrefillTokens, Math.Max(MaxStepTokens, decoding + MinPrefillTokens));
    }

    // Cost per token of a step that computed prompt tokens, smoothed. Its fixed part (reading the weights once) is
    // included, so small steps look dear per token and the budget settles where a step takes the target time.
    private void Measure(long started, int tokens)
    {
        double perToken = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds / tokens;
        secondsPerToken = secondsPerToken == 0 ? perToken : 0.7 * secondsPerToken + 0.3 * perToken;
    }

    /// <summary>Cancels everything, running and waiting (shutdown after the drain timeout).</summary>
    public void CancelAll()
    {
        for (int i = active.Count - 1; i >= 0; i--) Leave(active, i, cancelled: true);
        for (int i = waiting.Count - 1; i >= 0; i--) Leave(waiting, i, cancelled: true);
    }

    private void DropCancelled()
    {
        for (int i = active.Count - 1; i >= 0; i--)
            if (active[i].Cancellation.IsCancellationRequested) Leave(active, i, cancelled: true);
        for (int i = waiting.Count - 1; i >= 0; i--)
            if (waiting[i].Cancellation.IsCancellationRequested) Leave(waiting, i, cancelled: true);
    }

    // Moves waiting work into the batch, a group (leader and its followers) at a time, while slots are free.
    private void Start()
    {
        while (waiting.Count > 0)
        {
            int group = 1 + (waiting[0].Followers?.Count ?? 0);
            if (active.Count > 0 && active.Count + group > MaxBatch) return;
            for (int k = 0; k < group; k++)
            {
                var w = waiting[0];
                waiting.RemoveAt(0);
                active.Add(w);
            }
        }
    }

    // Fills the step's items: decode tokens first, then prompt chunks oldest first. Returns the number of items.
    private int Plan()
    {
        // Decode tokens must fit the KV budget: preempt the newest until they do (the oldest always stays).
        while (true)
        {
            long need = KvTokensUsed;
            foreach (var w in active) if (w.Pending == 1 && w.Cache != null) need++;
            if (need <= MaxKvTokens || !Preempt()) break;
        }

        int n = 0, budget = StepTokens(), arena = 0, rows = 0;
        long kv = KvTokensUsed;
        bool captured = false; // one capture pass per step: a capture runs as a forward of its own (the weights read again)
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < active.Count; i++)
            {
                var w = active[i];
                if (w.Leader != null) continue; // followers fork from their leader's cache
                int pending = w.Pending;
                bool decode = pending == 1 && w.Computed > 0;
                if (pending == 0 || decode != (pass == 0) || (!decode && budget <= 0)) continue; // decode tokens are never held back
                if (w.Pass != null && captured) continue;
                int prompt = w.PromptLength;
                int chunk = decode ? 1 : Math.Min(pending, budget);
                if (w.Computed < prompt) chunk = Math.Min(chunk, prompt - w.Computed); // prompt rows and generated rows differ in steering
                if (!decode && i > 0) chunk = (int)Math.Min(chunk, MaxKvTokens - kv);
                if (chunk <= 0) continue;
                if (w.Cache == null && !TryCreateCache(w)) { i--; continue; } // it failed and left the batch
                Grow(n + 1, rows + 1, arena + chunk);
                var tokens = tokenArena.AsSpan(arena, chunk);
                for (int t = 0; t < chunk; t++) tokens[t] = w.TokenAt(w.Computed + t);
                bool last = w.Computed + chunk == w.Known;
                // Prompt rows carry the offsets; generated rows only when the request steers decoding too.
                var offsets = w.Computed < prompt || w.Offsets is { SteerDecode: true } ? w.Offsets : null;
                items[n] = new BatchItem(w.Cache!, tokenArena.AsMemory(arena, chunk), offsets,
                    last && w.Pass == null ? LogitsMode.Last : LogitsMode.None, w.Capture);
                itemWork[n] = w;
                itemRows[n] = rows;
                captured |= w.Pass != null;
                if (items[n].Logits == LogitsMode.Last) rows++;
                n++;
                arena += chunk;
                budget -= chunk;
                kv += chunk;
            }
        return n;
    }

    private bool TryCreateCache(Work w)
    {
        try
        {
            w.Cache = backend.CreateCache(w.Capacity);
            if (w.Pass != null) w.Capture ??= new AttentionCapture(backend.Config.NumHiddenLayers, w.PromptLength);
            return true;
        }
        catch (Exception e)
        {
            Fail(w, e);
            return false;
        }
    }

    private void RunItems(int n)
    {
        int rows = itemRows[n - 1] + items[n - 1].LogitsRows;
        try
        {
            backend.Run(items.AsSpan(0, n), logits.AsSpan(0, rows * vocabSize));
        }
        catch (Exception) when (n > 1)
        {
            // Find the item the engine refuses (a failed run changes no cache); the others get their step.
            for (int i = 0; i < n; i++)
            {
                try
                {
                    backend.Run(items.AsSpan(i, 1), logits.AsSpan(itemRows[i] * vocabSize, items[i].LogitsRows * vocabSize));
                }
                catch (Exception e)
                {
                    itemWork[i].Failed = e;
                }
            }
        }
        catch (Exception e)
        {
            itemWork[0].Failed = e;
        }
    }

    // Books what ran, samples the tokens of items that asked for logits, and lets finished work leave.
    private void Finish(int n)
    {
        int decoded = 0;
        for (int i = 0; i < n; i++)
        {
            var w = itemWork[i];
            items[i] = default;
            itemWork[i] = null!;
            if (w.Failed is { } error) { Fail(w, error); continue; }
            int ran = w.Cache!.Length - w.Computed;
            w.Computed = w.Cache.Length;
            KvTokensUsed += ran;
            if (ran == 1 && w.Sequence is { } s0 && w.Computed > s0.Prompt.Length) decoded++;
            else PromptTokensComputed += ran;
            if (w.Pending > 0) continue;

            if (w.Pass is { } pass)
            {
                pass.Complete(w.Capture!);
                w.Capture = null;
                Remove(w);
                continue;
            }
            var row = logits.AsSpan(itemRows[i] * vocabSize, vocabSize);
            if (w.Followers is { } followers)
            {
                // n choices: each follower forks the prompt's cache and samples from the same logits.
                foreach (var f in followers)
                {
                    f.Leader = null;
                    if (f.Sequence!.Finish is not null) continue;
                    try
                    {
                        f.Cache = w.Cache.Fork(w.Computed, f.Capacity);
                        f.Computed = w.Computed;
                        KvTokensUsed += f.Computed;
                        row.CopyTo(sampleRow);
                        if (f.Sequence.Accept(f.Sequence.Sampler.Sample(sampleRow, f.Sequence.Generated))) Remove(f, completed: true);
                    }
                    catch (Exception e)
                    {
                        Fail(f, e);
                    }
                }
                w.Followers = null;
            }
            try
            {
                var s = w.Sequence!;
                if (s.Accept(s.Sampler.Sample(row, s.Generated))) Remove(w, completed: true);
            }
            catch (Exception e)
            {
                Fail(w, e);
            }
        }
        LastDecodeBatch = decoded;
    }

    // Drops the newest cache (other than the oldest work's); its work recomputes from scratch later. False if none.
    private bool Preempt()
    {
        for (int i = active.Count - 1; i > 0; i--)
        {
            var w = active[i];
            if (w.Cache == null) continue;
            KvTokensUsed -= w.Computed;
            w.Cache.Dispose();
            w.Cache = null;
            w.Computed = 0;
            Preemptions++;
            return true;
        }
        return false;
    }

    private void Fail(Work w, Exception e)
    {
        if (w.Pass is { } pass) pass.Fail(e);
        else w.Sequence!.Fail(e);
        Remove(w, completed: w.Sequence != null);
        // Followers that were to fork from a failed prompt fail with it.
        if (w.Followers is { } followers)
            foreach (var f in followers) { f.Leader = null; Fail(f, e); }
        w.Followers = null;
    }

    private void Leave(List<Work> list, int i, bool cancelled)
    {
        var w = list[i];
        if (ReferenceEquals(list, active)) Release(w);
        list.RemoveAt(i);
        if (w.Followers is { } followers)
            foreach (var f in followers) f.Leader = null; // they compute the prompt themselves
        w.Followers = null;
        if (w.Pass is { } pass) { pass.Cancel(); return; }
        if (cancelled) w.Sequence!.Cancel();
        Completed?.Invoke(w.Sequence!);
    }

    private void Remove(Work w, bool completed = false)
    {
        Release(w);
        if (!active.Remove(w)) waiting.Remove(w);
        if (completed) Completed?.Invoke(w.Sequence!);
    }

    private void Release(Work w)
    {
        if (w.Cache == null) return;
        KvTokensUsed -= w.Computed;
        w.Cache.Dispose();
        w.Cache = null;
        w.Capture = null;
    }

    // Grows the per-step arrays (rarely: a larger group or more passes than seen before).
    private void Grow(int count, int rows, int tokens)
    {
        if (tokens > tokenArena.Length) Array.Resize(ref tokenArena, 2 * tokens);
        if (count > items.Length)
        {
            Array.Resize(ref items, 2 * count);
            Array.Resize(ref itemWork, 2 * count);
            Array.Resize(ref itemRows, 2 * count);
        }
        if ((long)rows * vocabSize > logits.Length) logits = new float[2L * rows * vocabSize];
    }

    /// <summary>One sequence or capture pass as the scheduler tracks it.</summary>
    private sealed class Work(Sequence? sequence, CapturePass? pass)
    {
        public Sequence? Sequence { get; } = sequence;
        public CapturePass? Pass { get; } = pass;
        public Work? Leader { get; set; }
        public List<Work>? Followers { get; set; }
        public KvCache? Cache { get; set; }
        public AttentionCapture? Capture { get; set; }
        public Exception? Failed { get; set; }

        /// <summary>Positions in the cache.</summary>
        public int Computed { get; set; }

        public int PromptLength => Sequence?.Prompt.Length ?? Pass!.Prompt.Length;

        /// <summary>Tokens known: the prompt and every sampled token (the last one is appended by the next decode).</summary>
        public int Known => Sequence is { } s ? s.Prompt.Length + s.Generated.Count : Pass!.Prompt.Length;

        public int Pending => Known - Computed;

        public int Capacity => Sequence?.Capacity ?? Pass!.Prompt.Length;

        public AttentionOffsets? Offsets => Sequence is { } s ? s.Offsets : Pass!.Offsets;

        public CancellationToken Cancellation => Sequence?.Cancellation ?? Pass!.Cancellation;

        public int TokenAt(int i) => Sequence is { } s ? (i < s.Prompt.Length ? s.Prompt[i] : s.Generated[i - s.Prompt.Length]) : Pass!.Prompt[i];
    }
}
