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

    // The current job, written by the caller before it bumps `generation`.
    private delegate*<void*, int, int, void> jobWork;
    private void* jobContext;
    private int jobItems;
    private int jobChunk;
    private int nextItem;        // next unclaimed item of the current job
    private int busyWorkers;     // workers still inside the current job
    private long generation;     // bumped once per job; workers run when it changes
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
            jobWork = work;
            jobContext = context;
            jobItems = itemCount;
            jobChunk = chunk;
            nextItem = 0;
            busyWorkers = workers.Length;
            Interlocked.Increment(ref generation); // full fence: the job is visible before workers see the new generation
            if (Volatile.Read(ref sleepers) > 0)
                lock (sleepGate) Monitor.PulseAll(sleepGate);

            RunChunks(work, context, itemCount, chunk);

            // Wait for the workers to finish their last chunk (short: chunks are small).
            var spin = new SpinWait();
            while (Volatile.Read(ref busyWorkers) != 0) spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void RunChunks(delegate*<void*, int, int, void> work, void* context, int itemCount, int chunk)
    {
        while (true)
        {
            int start = Interlocked.Add(ref nextItem, chunk) - chunk;
            if (start >= itemCount) return;
            work(context, start, Math.Min(start + chunk, itemCount));
        }
    }

    private void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref generation) == seen)
            {
                if (disposed) return;
                if (spins++ < SpinIterations) { Thread.SpinWait(30); continue; }
                lock (sleepGate)
                {
                    Interlocked.Increment(ref sleepers); // full fence before re-reading generation (pairs with Run)
                    while (Volatile.Read(ref generation) == seen && !disposed) Monitor.Wait(sleepGate);
                    Interlocked.Decrement(ref sleepers);
                }
                spins = 0;
            }
            if (disposed) return;
            seen = Volatile.Read(ref generation);
            RunChunks(jobWork, jobContext, jobItems, jobChunk);
            Interlocked.Decrement(ref busyWorkers);
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
