using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using SteerServer.Server.Contracts;
using SteerServer.Server.Hosting;
using SteerServer.Server.Streaming;
using SteerServer.Server.Validation;
using SteerServer.Steering.Influence;
using SteerServer.Steering.Preparation;

namespace SteerServer.Server.Endpoints;

/// <summary><c>POST /v1/completions</c> (legacy): raw prompts, one or several, as text or token ids; same steering object.</summary>
public static class CompletionEndpoints
{
    public static IEndpointRouteBuilder MapCompletionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Completions");
        api.MapPost("/completions", CreateCompletion)
            .WithName("CreateCompletion")
            .WithSummary("Text completion of raw prompts (text or token ids), optionally steered; stream: true gives server-sent events")
            .WithMetadata(new RequestBodyMetadata(typeof(CompletionRequest)))
            .ProducesGenerationErrors();
        return app;
    }

    public static async Task<Results<Ok<TextCompletionResponse>, SseResult>> CreateCompletion(
        HttpContext context, [AsParameters] GenerationServices services)
    {
        var body = await RequestBody.ReadAsync(context, ApiJsonContext.Default.CompletionRequest, services.Logger);
        RequestBody.LogIgnored(services.Logger, context, body.Extra);
        var request = CompletionRequestValidator.Validate(body);
        RequestLimits.Check(services.LimitsOptions.Value, request.Prompts.Count, request.N);
        var model = services.Host.Require(request.Model);
        var log = RequestLog.For(context);
        log.Model = model.Name;
        log.Stream = request.Stream;

        var steering = model.Pipeline.ParseSteering(request.Steering);
        var prompts = new List<PreparedPrompt>(request.Prompts.Count);
        var maxNew = new List<int>(request.Prompts.Count);
        for (int p = 0; p < request.Prompts.Count; p++)
        {
            var param = request.Prompts.Count == 1 ? "prompt" : $"prompt[{p}]";
            var prompt = request.Prompts[p];
            var prepared = prompt.TokenIds is { } ids ? model.Pipeline.Ids(ids, steering, param) : model.Pipeline.Text(prompt.Text!, steering, param);
            prompts.Add(prepared);
            services.LogPrompt(context, model, prepared.Ids);
            maxNew.Add(GenerationLimits.MaxNewTokens(model, prepared.Ids.Length, request.MaxTokens, param));
        }
        int promptTokens = prompts.Sum(p => p.Ids.Length);
        log.PromptTokens = promptTokens;
        log.Steered = prompts.Any(p => p.Plan.Offsets is not null);

        var run = GenerationRun.Start(services, context, model, prompts, maxNew, request.Sampling, request.N,
            request.Logprobs ?? 0, request.Stop);
        var id = ResponseExtensions.CompletionId("cmpl-", context);
        long created = ResponseExtensions.Now();
        // One top-level steering report per response: that of the first prompt.
        if (request.Stream)
            return new SseResult((writer, ct) => StreamAsync(writer, run, services, context, model, request, prompts[0], promptTokens, id, created));
        using (run)
            return TypedResults.Ok(await CollectAsync(run, services, context, model, request, prompts[0], promptTokens, id, created));
    }

    private static async Task<TextCompletionResponse> CollectAsync(GenerationRun run, GenerationServices services, HttpContext context,
        ServedModel model, ValidCompletionRequest request, PreparedPrompt first, int promptTokens, string id, long created)
    {
        var texts = Enumerable.Range(0, run.Choices).Select(_ => new StringBuilder()).ToArray();
        var logprobs = request.Logprobs is null ? null : Enumerable.Range(0, run.Choices).Select(_ => new List<CompletionLogprobs>()).ToArray();
        var finish = new string[run.Choices];
        var previous = (int[])run.LastPromptIds.Clone();
        var offsets = new int[run.Choices];
        var formatter = new LogprobFormatter(model.Tokenizer);
        int completionTokens = 0;
        await foreach (var u in run.ReadAsync())
        {
            texts[u.Index].Append(u.Text);
            if (logprobs is not null && u.Tokens.Count > 0) logprobs[u.Index].Add(formatter.Completion(u.Tokens, ref previous[u.Index], ref offsets[u.Index]));
            if (u.Finish is { } f)
            {
                finish[u.Index] = GenerationRun.FinishReason(f);
                completionTokens += u.CompletionTokens;
            }
        }
        var choices = Enumerable.Range(0, run.Choices)
            .Select(i => new TextChoice(texts[i].ToString(), i, logprobs is null ? null : Merge(logprobs[i]), finish[i]))
            .ToList();
        var influence = await run.InfluenceAsync();
        services.Metrics.PromptTokens(promptTokens);
        var log = RequestLog.For(context);
        log.CompletionTokens = completionTokens;
        log.FinishReason = string.Join(',', finish.Distinct());
        return new TextCompletionResponse(id, created, model.Name, choices, new Usage(promptTokens, completionTokens),
            first.Plan.ToApplied(), influence.ToReport());
    }

    private static async Task StreamAsync(SseWriter writer, GenerationRun run, GenerationServices services, HttpContext context,
        ServedModel model, ValidCompletionRequest request, PreparedPrompt first, int promptTokens, string id, long created)
    {
        var ct = context.RequestAborted;
        var info = ApiJsonContext.Default.TextCompletionResponse;
        int streamed = 0; // tokens sent so far: the usage of every chunk with continuous_usage_stats, and the log's count if the stream ends early
        Usage? SoFar() => request.ContinuousUsage ? new Usage(promptTokens, streamed) : null;
        using (run)
        {
            try
            {
                var previous = (int[])run.LastPromptIds.Clone();
                var offsets = new int[run.Choices];
                var formatter = new LogprobFormatter(model.Tokenizer);
                var finish = new string[run.Choices];
                int remaining = run.Choices, completionTokens = 0;
                await foreach (var u in run.ReadAsync())
                {
                    streamed += u.Tokens.Count;
                    var lp = request.Logprobs is not null && u.Tokens.Count > 0 ? formatter.Completion(u.Tokens, ref previous[u.Index], ref offsets[u.Index]) : null;
                    if (u.Text.Length > 0 || lp is not null)
                        await writer.WriteAsync(new TextCompletionResponse(id, created, model.Name, [new TextChoice(u.Text, u.Index, lp, null)], SoFar()), info, ct);
                    if (u.Finish is not { } f) continue;
                    finish[u.Index] = GenerationRun.FinishReason(f);
                    completionTokens += u.CompletionTokens;
                    bool last = --remaining == 0;
                    await writer.WriteAsync(new TextCompletionResponse(id, created, model.Name, [new TextChoice("", u.Index, null, finish[u.Index])], SoFar(),
                        last ? first.Plan.ToApplied() : null, last ? (await run.InfluenceAsync()).ToReport() : null), info, ct);
                }
                if (request.IncludeUsage)
                    await writer.WriteAsync(new TextCompletionResponse(id, created, model.Name, [], new Usage(promptTokens, completionTokens)), info, ct);
                await writer.WriteDoneAsync(ct);
                services.Metrics.PromptTokens(promptTokens);
                var log = RequestLog.For(context);
                log.CompletionTokens = completionTokens;
                log.FinishReason = string.Join(',', finish.Distinct());
            }
            catch (Exception e)
            {
                RequestLog.For(context).CompletionTokens = streamed;
                await StreamErrors.HandleAsync(e, writer, run, services, context);
            }
        }
    }

    private static CompletionLogprobs Merge(List<CompletionLogprobs> parts) => new(
        [.. parts.SelectMany(p => p.Tokens)], [.. parts.SelectMany(p => p.TokenLogprobs)],
        [.. parts.SelectMany(p => p.TopLogprobs)], [.. parts.SelectMany(p => p.TextOffset)]);
}
