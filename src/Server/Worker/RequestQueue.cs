using Microsoft.Extensions.Options;
using SteerServer.Server.Observability;
using SteerServer.Server.Options;

namespace SteerServer.Server.Worker;

/// <summary>
/// The bounded admission queue between HTTP handlers and the model worker. Full: <see cref="TryEnqueue"/> says
/// no and the handler answers 429. A queued job whose client leaves is removed at once (and counted), so it
/// neither holds a slot nor reaches the engine.
/// </summary>
public sealed class RequestQueue
{
    private readonly object gate = new();
    private readonly LinkedList<GenerationJob> items = new();
    private readonly Dictionary<GenerationJob, (LinkedListNode<GenerationJob> Node, CancellationTokenRegistration Registration)> index = [];
    private readonly ServerMetrics metrics;
    private bool woken;

    public RequestQueue(IOptions<QueueOptions> options, ServerMetrics metrics)
    {
        Capacity = options.Value.MaxQueue;
        this.metrics = metrics;
        metrics.QueueDepth = () => Count;
    }

    public int Capacity { get; }

    public int Count { get { lock (gate) return items.Count; } }

    public bool TryEnqueue(GenerationJob job)
    {
        lock (gate)
        {
            if (items.Count >= Capacity) return false;
            var node = items.AddLast(job);
            index[job] = (node, default);
            Monitor.PulseAll(gate);
        }
        // Registered outside the lock: an already-cancelled token runs the callback synchronously.
        var registration = job.Cancellation.Register(() => RemoveCancelled(job));
        lock (gate)
        {
            if (index.TryGetValue(job, out var entry)) index[job] = (entry.Node, registration);
            else registration.Dispose();
        }
        return true;
    }

    /// <summary>The job at the head, left in place (the worker dequeues only when the batch has room for it).</summary>
    public GenerationJob? Peek()
    {
        lock (gate) return items.First?.Value;
    }

    public bool TryDequeue(GenerationJob job)
    {
        CancellationTokenRegistration registration;
        lock (gate)
        {
            if (!index.Remove(job, out var entry)) return false;
            items.Remove(entry.Node);
            registration = entry.Registration;
        }
        registration.Dispose();
        return true;
    }

    /// <summary>Blocks the worker until a job arrives, <see cref="Wake"/> is called, or <paramref name="timeout"/> passes.</summary>
    public void WaitForWork(TimeSpan timeout)
    {
        lock (gate)
        {
            if (items.Count == 0 && !woken) Monitor.Wait(gate, timeout);
            woken = false;
        }
    }

    public void Wake()
    {
        lock (gate)
        {
            woken = true;
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Empties the queue (shutdown): every waiting job ends as cancelled.</summary>
    public void CancelAll()
    {
        List<GenerationJob> jobs;
        lock (gate) jobs = [.. items];
        foreach (var job in jobs)
            if (TryDequeue(job)) job.CancelQueued();
    }

    private void RemoveCancelled(GenerationJob job)
    {
        bool removed;
        lock (gate)
        {
            removed = index.Remove(job, out var entry);
            if (removed) items.Remove(entry.Node);
        }
        if (!removed) return; // already taken by the worker, which cancels it between decode steps
        job.CancelQueued(); // the handler sees its token cancelled and counts the cancellation
    }
}
