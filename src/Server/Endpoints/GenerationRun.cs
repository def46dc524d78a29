using System.Diagnostics;
using System.Runtime.CompilerServices;
using SteerServer.Models.Errors;
using SteerServer.Models.Generation;
using SteerServer.Models.Inference;
using SteerServer.Steering.Influence;
using SteerServer.Server.Hosting;
using SteerServer.Server.Validation;
using SteerServer.Server.Worker;
using SteerServer.Steering.Preparation;

namespace SteerServer.Server.Endpoints;

/// <summary>
/// One request's generation from the handler's side: builds a sequence per choice (n per prompt, each with its
/// own sampler), enqueues the job (429 when the queue is full), and reads the updates back until every choice
/// finished. The job is cancelled by the client leaving or by the request timeout, whichever comes first.
/// </summary>
public sealed class GenerationRun : IDisposable
{
    private readonly CancellationTokenSource cancellation;
    private readonly GenerationServices services;
    private readonly HttpContext context;
    private readonly long started = Stopwatch.GetTimestamp();
    private long firstTokenAt;
    private long lastTokenAt;
    private readonly long[] choiceTokenAt; // per choice: when its last token arrived (inter-token latency)

    private readonly InfluencePlan? influence;

    private GenerationRun(GenerationServices services, HttpContext context, CancellationTokenSource cancellation, GenerationJob job, int[] lastPromptIds,
        int promptTokens, InfluencePlan? influence)
    {
        this.influence = influence;
        this.services = services;
        this.context = context;
        this.cancellation = cancellation;
        Job = job;
        LastPromptIds = lastPromptIds;
        PromptTokens = promptTokens;
        choiceTokenAt = new long[lastPromptIds.Length];
    }

    public GenerationJob Job { get; }

    /// <summary>Per choice: the last prompt token (context for the text of the first generated token in logprobs).</summary>
    public int[] LastPromptIds { get; }

    public int Choices => Job.Sequences.Count;

    /// <summary>Prompt tokens of the request, every prompt once (not per choice).</summary>
    public int PromptTokens { get; }

    public CancellationToken Token => cancellation.Token;

    public static GenerationRun Start(GenerationServices services, HttpContext context, ServedModel model,
        IReadOnlyList<PreparedPrompt> prompts, IReadOnlyList<int> maxNewTokens, SamplingSettings sampling, int n,
        int topLogprobs, IReadOnlyList<string> stop)
    {
        var baseParams = new SamplingParams
        {
            Temperature = (float)sampling.Temperature,
            TopK = sampling.TopK,
            TopP = (float)sampling.TopP,
            MinP = (float)sampling.MinP,
            Seed = sampling.Seed,
            PresencePenalty = (float)sampling.PresencePenalty,
            FrequencyPenalty = (float)sampling.FrequencyPenalty,
            LogitBias = sampling.LogitBias,
            TopLogprobs = topLogprobs,
            RepetitionPenalty = (float)sampling.RepetitionPenalty,
            MinTokens = sampling.MinTokens,
        };
        int vocab = model.Model.Config.VocabSize;
        for (int i = 0; i < sampling.StopTokenIds.Count; i++)
            if (sampling.StopTokenIds[i] >= vocab)
                throw SteerException.InvalidRequest($"Invalid 'stop_token_ids[{i}]': token id {sampling.StopTokenIds[i]} is outside the vocabulary [0, {vocab}).", $"stop_token_ids[{i}]");
        // The ids that end a sequence: EOS (unless ignore_eos) and stop_token_ids; min_tokens masks them all.
        var eos = sampling.IgnoreEos ? [] : model.Pipeline.EosTokenIds;
        var endIds = eos.Concat(sampling.StopTokenIds).Distinct().ToArray();
        baseParams = baseParams with { EndTokenIds = endIds };
        baseParams.Validate(vocab); // logit_bias ids against the vocabulary

        var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (services.QueueOptions.Value.RequestTimeoutSeconds > 0) cts.CancelAfter(TimeSpan.FromSeconds(services.QueueOptions.Value.RequestTimeoutSeconds));
        // The first prompt's Influence pass (the one reported) is a job of the worker; its capture memory is reserved now.
        var influence = prompts[0].Plan.Influence;
        CapturePass? pass = null;
        if (influence is not null)
        {
            long captureBytes = CapturePass.CaptureBytes(model.Model.Config.NumHiddenLayers, prompts[0].Ids.Length);
            try
            {
                services.InfluenceBudget.Reserve(captureBytes, prompts[0].Ids.Length);
            }
            catch
            {
                cts.Dispose();
                throw;
            }
            pass = new CapturePass(prompts[0].Ids, influence.PassOffsets, cts.Token);
            var budget = services.InfluenceBudget;
            pass.Completion.ContinueWith(_ => budget.Release(captureBytes), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        var lastIds = new int[prompts.Count * n];
        var job = new GenerationJob(writer =>
        {
            var sequences = new List<Sequence>(prompts.Count * n);
            for (int p = 0; p < prompts.Count; p++)
                for (int i = 0; i < n; i++)
                {
                    int index = p * n + i;
                    // With a seed, choice i uses seed + i: reproducible, yet the n choices differ.
                    var parameters = sampling.Seed is { } seed && i > 0 ? baseParams with { Seed = seed + i } : baseParams;
                    lastIds[index] = prompts[p].Ids[^1];
                    sequences.Add(new Sequence(index, prompts[p].Ids, new Sampler(parameters, prompts[p].Ids), prompts[p].Plan.Offsets, maxNewTokens[p], endIds,
                        model.Tokenizer.CreateStreamingDetokenizer(skipSpecialTokens: true), stop, writer, cts.Token));
                }
            return sequences;
        }, cts.Token, pass);

        if (!services.Queue.TryEnqueue(job))
        {
            pass?.Cancel();
            cts.Dispose();
            services.Metrics.Rejected("queue_full");
            throw new SteerException(ErrorKind.Overloaded,
                $"The server is busy: {services.Queue.Capacity} requests are already waiting. Retry after {services.QueueOptions.Value.RetryAfterSeconds} s.",
                null, "rate_limit_exceeded");
        }
        if (prompts.Any(p => p.Plan.Offsets is not null)) services.Metrics.Steered();
        return new GenerationRun(services, context, cts, job, lastIds, prompts.Sum(p => p.Ids.Length), influence);
    }

    /// <summary>The Influence the first prompt asked for (null if none), once the worker has run its pass.</summary>
    public async Task<InfluenceResult?> InfluenceAsync()
    {
        if (Job.Influence is not { } pass || influence is null) return null;
        AttentionCapture capture;
        try
        {
            capture = await pass.Completion.WaitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw Cancelled();
        }
        // The recurrence runs here, on the request's thread, not on the worker's.
        return InfluenceRunner.Compute(influence, pass.Prompt, capture);
    }

    /// <summary>
    /// Every update until each choice has finished. The client leaving ends the enumeration quietly (counted as a
    /// cancellation); the timeout ends it with a 503-kind error; an engine failure with a 500-kind error.
    /// </summary>
    public async IAsyncEnumerable<SequenceUpdate> ReadAsync([EnumeratorCancellation] CancellationToken _ = default)
    {
        int remaining = Choices;
        var reader = Job.Updates;
        while (remaining > 0)
        {
            SequenceUpdate update;
            try
            {
                if (!reader.TryRead(out update!))
                {
                    await reader.WaitToReadAsync(cancellation.Token);
                    continue;
                }
            }
            catch (OperationCanceledException)
            {
                throw Cancelled();
            }
            if (update.Tokens.Count > 0)
            {
                lastTokenAt = Stopwatch.GetTimestamp();
                if (firstTokenAt == 0)
                {
                    firstTokenAt = lastTokenAt;
                    services.Metrics.TimeToFirstToken(Stopwatch.GetElapsedTime(started, firstTokenAt));
                }
                ref long previous = ref choiceTokenAt[update.Index];
                if (previous != 0)
                {
                    // An update may carry several tokens (held back by the detokenizer or a stop string): share the gap.
                    var gap = Stopwatch.GetElapsedTime(previous, lastTokenAt) / update.Tokens.Count;
                    for (int t = 0; t < update.Tokens.Count; t++) services.Metrics.InterTokenLatency(gap);
                }
                previous = lastTokenAt;
            }
            if (update.Finish is { } finish)
            {
                remaining--;
                switch (finish)
                {
                    case SequenceFinish.Cancelled:
                        throw Cancelled();
                    case SequenceFinish.Error:
                        services.Metrics.Finish("error");
                        services.Logger.LogError(update.Error, "{RequestId}: generation failed", context.TraceIdentifier);
                        throw update.Error as SteerException ?? new SteerException(ErrorKind.Internal,
                            $"Generation failed in the engine (request id {context.TraceIdentifier}).", null, "generation_failed", update.Error);
                    default:
                        services.Metrics.Finish(FinishReason(finish));
                        break;
                }
            }
            yield return update;
        }
        services.Metrics.RequestDuration(Stopwatch.GetElapsedTime(started));
        int generated = Job.Sequences.Sum(s => s.Generated.Count);
        services.Metrics.RequestTokens(PromptTokens, generated);
        var log = RequestLog.For(context);
        log.TimeToFirstTokenMs = firstTokenAt == 0 ? null : Stopwatch.GetElapsedTime(started, firstTokenAt).TotalMilliseconds;
        int afterFirst = generated - Choices;
        if (afterFirst > 0 && lastTokenAt > firstTokenAt)
            log.TokensPerSecond = afterFirst / Stopwatch.GetElapsedTime(firstTokenAt, lastTokenAt).TotalSeconds;
    }

    public static string FinishReason(SequenceFinish finish) => finish == SequenceFinish.Length ? "length" : "stop";

    /// <summary>
    /// The client left (nothing to answer), the request timed out, or the worker ended it because the drain timeout
    /// ran out at shutdown (both 503, retryable; each says which).
    /// </summary>
    private Exception Cancelled()
    {
        CountCancellation();
        bool ours = cancellation.IsCancellationRequested; // the client or the request timeout; else the worker cancelled it
        cancellation.Cancel(); // make sure the worker drops every choice of this job
        if (context.RequestAborted.IsCancellationRequested) return new OperationCanceledException(context.RequestAborted);
        if (!ours && services.Host.State == ModelState.Draining)
            return new SteerException(ErrorKind.Unavailable,
                $"The server is shutting down: the request was still running when the drain timeout ({services.QueueOptions.Value.DrainTimeoutSeconds} s, SteerServer:Queue:DrainTimeoutSeconds) ran out. Retry on another replica or once the server is back.",
                null, "server_shutting_down");
        return new SteerException(ErrorKind.Unavailable,
            $"The request timed out after {services.QueueOptions.Value.RequestTimeoutSeconds} s (SteerServer:Queue:RequestTimeoutSeconds).", null, "timeout");
    }

    /// <summary>Counts this request as cancelled, once, whoever notices first (the reader or a failed write).</summary>
    public void CountCancellation()
    {
        if (Interlocked.Exchange(ref cancellationCounted, 1) != 0) return;
        services.Metrics.Cancelled();
        services.Metrics.Finish("cancelled");
    }

    private int cancellationCounted;

    public void Dispose()
    {
        if (!cancellation.IsCancellationRequested) cancellation.Cancel(); // a handler that stops reading frees the worker too
        cancellation.Dispose();
    }
}
