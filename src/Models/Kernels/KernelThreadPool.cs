namespace SteerServer.Models.Kernels;

/// <summary>
/// A fixed set of dedicated worker threads that split one kernel call (e.g. the output rows of a
/// matrix product) between themselves and the calling thread. A call allocates nothing: the work is
/// a static function pointer plus an unmanaged context pointer, and items are handed out in chunks
/// through one atomic counter, so a slow (shared) core simply takes fewer chunks.
/// Idle workers spin briefly (the next matrix of a decode step usually follows within microseconds),
/// then block on a monitor.
/// </summary>
public sealed unsafe class KernelThreadPool : IDisposable
{
    private static KernelThreadPool? defaultPool;
    private static readonly object DefaultGate = new();

    // About 50–100 µs of spinning before a worker blocks.
    private const int SpinIterations = 2000;

    private readonly Thread[] workers;
    private readonly object runGate = new();   // one kernel call at a time
    private readonly object sleepGate = new(); // idle workers wait here

    // The current job, written by the caller before it publishes a new job id in `cursor`.
    private delegate*<void*, int, int, void> jobWork;
    private void* jobContext;
    private int jobItems;
    private int jobChunk;
    // High 32 bits: job id; low 32 bits: next unclaimed item. Claims are compare-and-swap on the whole value,
    // so a worker that wakes late can never claim items of a newer job with an older job's fields.
    private long cursor;
    private int doneItems;       // items finished in the current job
    private int jobId;
    private const int Pending = int.MaxValue; // low half of `cursor` while a job is being set up
    private int sleepers;
    private volatile bool disposed;

    /// <param name="threadCount">Threads that compute, including the calling thread (≥ 1).</param>
    public KernelThreadPool(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadCount);
        ThreadCount = threadCount;
        workers = new Thread[threadCount - 1];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"kernel-{i + 1}" };
            workers[i].Start();
        }
    }

    /// <summary>Threads that compute in one call, including the caller.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// The process-wide pool used by <see cref="WeightMatrix.MatMul(ReadOnlySpan{float}, Span{float}, int)"/>;
    /// <see cref="Environment.ProcessorCount"/> threads unless <see cref="ConfigureDefault"/> said otherwise.
    /// </summary>
    public static KernelThreadPool Default
    {
        get
        {
            var pool = Volatile.Read(ref defaultPool);
            if (pool != null) return pool;
            lock (DefaultGate)
                return defaultPool ??= new KernelThreadPool(Environment.ProcessorCount);
        }
    }

    /// <summary>Replaces the default pool with one of <paramref name="threadCount"/> threads (e.g. <c>--threads</c>).</summary>
    public static void ConfigureDefault(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadCount);
        lock (DefaultGate)
        {
            if (defaultPool?.ThreadCount == threadCount) return;
            var old = defaultPool;
            defaultPool = new KernelThreadPool(threadCount);
            old?.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>(context, start, end) over items [0, itemCount) in chunks of
    /// <paramref name="chunk"/> items, on all threads, and returns when every item is done.
    /// </summary>
    public void Run(delegate*<void*, int, int, void> work, void* context, int itemCount, int chunk)
    {
        if (itemCount <= 0) return;
        if (chunk < 1) chunk = 1;
        if (workers.Length == 0 || itemCount <= chunk)
        {
            work(context, 0, itemCount);
            return;
        }
        lock (runGate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            int id = ++jobId;
            // First retire the previous job id, so no late claim can pair it with the fields written next.
            Interlocked.Exchange(ref cursor, ((long)id << 32) | Pending);
            jobWork = work;
            jobContext = context;
            jobItems = itemCount;
            jobChunk = chunk;
            doneItems = 0;
            Interlocked.Exchange(ref cursor, (long)id << 32); // full fence: the job is visible before its id
            if (Volatile.Read(ref sleepers) > 0)
                lock (sleepGate) Monitor.PulseAll(sleepGate);

            RunChunks(id, work, context, itemCount, chunk);

            // Wait only for chunks that were claimed (a worker that has not woken yet holds nothing: on a
            // busy machine the caller may well do every chunk itself).
            var spin = new SpinWait();
            while (Volatile.Read(ref doneItems) != itemCount) spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Wakes workers that went to sleep, so they are spinning when the next job comes: a forward pass calls it first,
    /// and its first product does not wait for a thread to be scheduled (between decode steps, sampling and the
    /// server's own work take longer than the workers spin).
    /// </summary>
    public void Wake()
    {
        if (Volatile.Read(ref sleepers) > 0)
            lock (sleepGate) Monitor.PulseAll(sleepGate);
    }

    // Claims and runs chunks of job `id` until none is left or the job changed.
    private void RunChunks(int id, delegate*<void*, int, int, void> work, void* context, int itemCount, int chunk)
    {
        long current = Volatile.Read(ref cursor);
        while ((int)(current >> 32) == id)
        {
            int start = (int)current;
            if (start >= itemCount) return;
            long seen = Interlocked.CompareExchange(ref cursor, current + chunk, current);
            if (seen != current) { current = seen; continue; }
            int end = Math.Min(start + chunk, itemCount);
            work(context, start, end);
            Interlocked.Add(ref doneItems, end - start);
            current = Volatile.Read(ref cursor);
        }
    }

    private void WorkerLoop()
    {
        int seenJob = 0;
        while (true)
        {
            int spins = 0;
            while ((int)(Volatile.Read(ref cursor) >> 32) == seenJob)
            {
                if (disposed) return;
                if (spins++ < SpinIterations) { Thread.SpinWait(30); continue; }
                lock (sleepGate)
                {
                    Interlocked.Increment(ref sleepers); // full fence before re-reading cursor (pairs with Run)
                    while ((int)(Volatile.Read(ref cursor) >> 32) == seenJob && !disposed) Monitor.Wait(sleepGate);
                    Interlocked.Decrement(ref sleepers);
                }
                spins = 0;
            }
            if (disposed) return;
            // Read the published id, then the job fields: if the job moved on meanwhile, every claim below fails.
            // While the job is still being set up its fields are not written yet: reading them then and claiming
            // once it is published would run the previous job's work on stale pointers (and never finish the count).
            long published = Volatile.Read(ref cursor);
            if ((int)published == Pending) { Thread.SpinWait(1); continue; }
            int id = (int)(published >> 32);
            var work = jobWork;
            var context = jobContext;
            int items = jobItems, chunk = jobChunk;
            RunChunks(id, work, context, items, chunk);
            seenJob = id;
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        lock (runGate)
        {
            disposed = true;
            lock (sleepGate) Monitor.PulseAll(sleepGate);
        }
    }
}
