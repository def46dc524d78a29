using System.Diagnostics;
using Microsoft.Extensions.Options;
using SteerServer.Models.Generation;
using SteerServer.Server.Hosting;
using SteerServer.Server.Observability;
using SteerServer.Server.Options;

namespace SteerServer.Server.Worker;

/// <summary>
/// The hosted service that owns the model: loads it (health says 503 until then), then runs the continuous
/// batching loop on a dedicated thread: admit queued jobs while the batch and KV budget have room, one decode
/// step for the whole batch, repeat. On shutdown it stops taking requests (503), lets running and accepted ones
/// finish up to the drain timeout, then cancels the rest.
/// </summary>
public sealed class ModelWorker(
    ModelHost host, ModelLoader loader, RequestQueue queue, ServerMetrics metrics,
    IOptions<QueueOptions> options, IHostApplicationLifetime lifetime, ILogger<ModelWorker> logger) : BackgroundService
{
    private long drainDeadline = long.MaxValue; // Stopwatch ticks; set when shutdown starts
    private int running;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lifetime.ApplicationStopping.Register(BeginDrain);
        metrics.RunningSequences = () => Volatile.Read(ref running);
        await Task.Yield();
        ServedModel model;
        try
        {
            model = await loader.LoadAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            host.SetFailed(e.Message);
            logger.LogCritical(e, "Loading the model failed; /health reports 503 (serve exits with code 1)");
            return;
        }
        if (Interlocked.Read(ref drainDeadline) != long.MaxValue) { model.Dispose(); return; }
        host.SetReady(model);
        await Task.Factory.StartNew(() => Loop(model), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        model.Dispose();
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        BeginDrain();
        return base.StopAsync(cancellationToken);
    }

    private void BeginDrain()
    {
        host.SetDraining();
        var deadline = Stopwatch.GetTimestamp() + (long)(options.Value.DrainTimeoutSeconds * (double)Stopwatch.Frequency);
        Interlocked.CompareExchange(ref drainDeadline, deadline, long.MaxValue);
        queue.Wake();
    }

    private void Loop(ServedModel model)
    {
        var o = options.Value;
        long kvBudget = o.MaxKvTokens > 0 ? o.MaxKvTokens : (long)o.MaxBatch * model.MaxContext;
        var scheduler = new Scheduler(model.Model.Backend, o.MaxBatch, kvBudget, o.MaxStepTokens,
            o.TargetStepMs > 0 ? o.TargetStepMs / 1000.0 : null);
        scheduler.Completed = OnCompleted;
        metrics.KvCacheUsage = () => Math.Min(1.0, (double)scheduler.KvTokensUsed / scheduler.MaxKvTokens);
        long promptTokens = 0, preemptions = 0;
        logger.LogInformation("Worker ready: max batch {MaxBatch}, up to {StepTokens} tokens per step aiming at {TargetMs} ms, KV budget {Kv} positions, queue {Queue}",
            o.MaxBatch, o.MaxStepTokens, o.TargetStepMs, kvBudget, queue.Capacity);
        while (true)
        {
            bool draining = Interlocked.Read(ref drainDeadline) != long.MaxValue;
            if (draining && Stopwatch.GetTimestamp() > Interlocked.Read(ref drainDeadline))
            {
                logger.LogWarning("Drain timeout: cancelling {Running} running and {Queued} queued requests", scheduler.Count + scheduler.Waiting, queue.Count);
                scheduler.CancelAll();
                queue.CancelAll();
                break;
            }

            Admit(scheduler);
            if (!scheduler.Step())
            {
                Volatile.Write(ref running, 0);
                if (draining && queue.Count == 0) break;
                queue.WaitForWork(TimeSpan.FromMilliseconds(draining ? 50 : 1000));
                continue;
            }
            if (scheduler.LastDecodeBatch > 0) metrics.DecodeStep(scheduler.LastDecodeBatch);
            metrics.PromptTokensComputed(scheduler.PromptTokensComputed - promptTokens);
            metrics.Preemptions(scheduler.Preemptions - preemptions);
            promptTokens = scheduler.PromptTokensComputed;
            preemptions = scheduler.Preemptions;
            Volatile.Write(ref running, scheduler.Count);
        }
        Volatile.Write(ref running, 0);
        metrics.KvCacheUsage = null;
    }

    // Hands queued jobs to the scheduler while it has a free slot; the rest wait in the bounded queue (429 when full).
    private void Admit(Scheduler scheduler)
    {
        while (scheduler.HasRoom && queue.Peek() is { } job)
        {
            if (!queue.TryDequeue(job)) continue; // cancelled meanwhile: the queue ended it
            metrics.QueueTime(Stopwatch.GetElapsedTime(job.EnqueuedAt));
            if (job.Cancellation.IsCancellationRequested)
            {
                job.CancelQueued();
                continue;
            }
            if (job.Influence is { } pass) scheduler.Add(pass);
            scheduler.Add(job.Sequences);
        }
    }

    private void OnCompleted(Sequence s)
    {
        metrics.GenerationTokens(s.Generated.Count);
        if (s.Finish == SequenceFinish.Error)
            logger.LogError("A sequence failed in the engine; its request gets the error and the batch goes on");
    }
}
