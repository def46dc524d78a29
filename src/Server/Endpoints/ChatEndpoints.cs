using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using SteerServer.Models.Errors;
using SteerServer.Server.Contracts;
using SteerServer.Server.Hosting;
using SteerServer.Server.Streaming;
using SteerServer.Server.Validation;
using SteerServer.Steering.Influence;
using SteerServer.Steering.Preparation;

namespace SteerServer.Server.Endpoints;

/// <summary><c>POST /v1/chat/completions</c>: OpenAI Chat Completions plus the <c>steering</c> extension, JSON or SSE.</summary>
public static class ChatEndpoints
{
    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Chat");
        api.MapPost("/chat/completions", CreateChatCompletion)
            .WithName("CreateChatCompletion")
            .WithSummary("Chat completion, optionally steered; stream: true gives server-sent events")
            .WithMetadata(new RequestBodyMetadata(typeof(ChatCompletionRequest)))
            .ProducesGenerationErrors();
        return app;
    }

    public static async Task<Results<Ok<ChatCompletionResponse>, SseResult>> CreateChatCompletion(
        HttpContext context, [AsParameters] GenerationServices services)
    {
        var body = await RequestBody.ReadAsync(context, ApiJsonContext.Default.ChatCompletionRequest, services.Logger);
        RequestBody.LogIgnored(services.Logger, context, body.Extra);
        var request = ChatRequestValidator.Validate(body);
        RequestLimits.Check(services.LimitsOptions.Value, 1, request.N);
        var model = services.Host.Require(request.Model);
        var log = RequestLog.For(context);
        log.Model = model.Name;
        log.Stream = request.Stream;

        var prompt = model.Pipeline.Chat(PromptInputs.Chat(request.Messages, request.ChatTemplateKwargs), model.Pipeline.ParseSteering(request.Steering));
        int maxNew = GenerationLimits.MaxNewTokens(model, prompt.Ids.Length, request.MaxTokens, "messages", request.MaxTokensParam);
        log.PromptTokens = prompt.Ids.Length;
        log.Steered = prompt.Plan.Offsets is not null;
        services.LogPrompt(context, model, prompt.Ids);

        var run = GenerationRun.Start(services, context, model, [prompt], [maxNew], request.Sampling, request.N,
            request.Logprobs ? request.TopLogprobs : 0, request.Stop);
        var id = ResponseExtensions.CompletionId("chatcmpl-", context);
        long created = ResponseExtensions.Now();
        if (request.Stream)
            return new SseResult((writer, ct) => StreamAsync(writer, run, services, context, model, request, prompt, id, created));
        using (run)
            return TypedResults.Ok(await CollectAsync(run, services, context, model, request, prompt, id, created));
    }

    private static async Task<ChatCompletionResponse> CollectAsync(GenerationRun run, GenerationServices services, HttpContext context,
        ServedModel model, ValidChatRequest request, PreparedPrompt prompt, string id, long created)
    {
        var texts = Enumerable.Range(0, run.Choices).Select(_ => new StringBuilder()).ToArray();
        var logprobs = request.Logprobs ? Enumerable.Range(0, run.Choices).Select(_ => new List<ChatTokenLogprob>()).ToArray() : null;
        var finish = new string[run.Choices];
        var previous = (int[])run.LastPromptIds.Clone();
        var formatter = new LogprobFormatter(model.Tokenizer);
        int completionTokens = 0;
        await foreach (var u in run.ReadAsync())
        {
            texts[u.Index].Append(u.Text);
            if (logprobs is not null && u.Tokens.Count > 0) logprobs[u.Index].AddRange(formatter.Chat(u.Tokens, ref previous[u.Index]).Content);
            if (u.Finish is { } f)
            {
                finish[u.Index] = GenerationRun.FinishReason(f);
                completionTokens += u.CompletionTokens;
            }
        }
        var choices = Enumerable.Range(0, run.Choices)
            .Select(i => new ChatChoice(i, new AssistantMessage(texts[i].ToString()), logprobs is null ? null : new ChatLogprobs(logprobs[i]), finish[i]))
            .ToList();
        var influence = await run.InfluenceAsync();
        Log(services, context, prompt.Ids.Length, completionTokens, finish);
        return new ChatCompletionResponse(id, created, model.Name, choices, new Usage(prompt.Ids.Length, completionTokens),
            prompt.Plan.ToApplied(), influence.ToReport());
    }

    private static async Task StreamAsync(SseWriter writer, GenerationRun run, GenerationServices services, HttpContext context,
        ServedModel model, ValidChatRequest request, PreparedPrompt prompt, string id, long created)
    {
        var ct = context.RequestAborted;
        var info = ApiJsonContext.Default.ChatCompletionChunk;
        int streamed = 0; // tokens sent so far: the usage of every chunk with continuous_usage_stats, and the log's count if the stream ends early
        Usage? SoFar() => request.ContinuousUsage ? new Usage(prompt.Ids.Length, streamed) : null;
        using (run)
        {
            try
            {
                for (int i = 0; i < run.Choices; i++)
                    await writer.WriteAsync(new ChatCompletionChunk(id, created, model.Name, [new ChatChunkChoice(i, new ChatDelta("assistant", ""), null, null)], SoFar()), info, ct);
                var previous = (int[])run.LastPromptIds.Clone();
                var formatter = new LogprobFormatter(model.Tokenizer);
                var finish = new string[run.Choices];
                int remaining = run.Choices, completionTokens = 0;
                await foreach (var u in run.ReadAsync())
                {
                    streamed += u.Tokens.Count;
                    var lp = request.Logprobs && u.Tokens.Count > 0 ? formatter.Chat(u.Tokens, ref previous[u.Index]) : null;
                    if (u.Text.Length > 0 || lp is not null)
                        await writer.WriteAsync(new ChatCompletionChunk(id, created, model.Name, [new ChatChunkChoice(u.Index, new ChatDelta(Content: u.Text), lp, null)], SoFar()), info, ct);
                    if (u.Finish is not { } f) continue;
                    finish[u.Index] = GenerationRun.FinishReason(f);
                    completionTokens += u.CompletionTokens;
                    bool last = --remaining == 0; // steering_applied/influence ride on the last chunk before the usage chunk
                    await writer.WriteAsync(new ChatCompletionChunk(id, created, model.Name, [new ChatChunkChoice(u.Index, new ChatDelta(), null, finish[u.Index])], SoFar(),
                        SteeringApplied: last ? prompt.Plan.ToApplied() : null, Influence: last ? (await run.InfluenceAsync()).ToReport() : null), info, ct);
                }
                if (request.IncludeUsage)
                    await writer.WriteAsync(new ChatCompletionChunk(id, created, model.Name, [], new Usage(prompt.Ids.Length, completionTokens)), info, ct);
                await writer.WriteDoneAsync(ct);
                Log(services, context, prompt.Ids.Length, completionTokens, finish);
            }
            catch (Exception e)
            {
                RequestLog.For(context).CompletionTokens = streamed;
                await StreamErrors.HandleAsync(e, writer, run, services, context);
            }
        }
    }

    private static void Log(GenerationServices services, HttpContext context, int promptTokens, int completionTokens, string[] finish)
    {
        services.Metrics.PromptTokens(promptTokens);
        var log = RequestLog.For(context);
        log.CompletionTokens = completionTokens;
        log.FinishReason = string.Join(',', finish.Distinct());
    }
}
