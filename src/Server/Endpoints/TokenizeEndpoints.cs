using Microsoft.AspNetCore.Http.HttpResults;
using SteerServer.Models.Errors;
using SteerServer.Server.Contracts;
using SteerServer.Server.Errors;
using SteerServer.Server.Hosting;
using SteerServer.Server.Validation;
using SteerServer.Steering.Guide;

namespace SteerServer.Server.Endpoints;

/// <summary>
/// <c>POST /tokenize</c> and <c>/detokenize</c>: ids and code-point offsets of a prompt or of rendered messages,
/// so clients can see exactly which tokens a steering span covers.
/// </summary>
public static class TokenizeEndpoints
{
    public static IEndpointRouteBuilder MapTokenizeApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Tokenizer");
        api.MapPost("/tokenize", Tokenize).WithName("Tokenize")
            .WithSummary("Token ids, token strings and [start, end) code-point offsets of a prompt, or of messages rendered with the chat template")
            .WithMetadata(new RequestBodyMetadata(typeof(TokenizeRequest))).Produces<ApiErrorBody>(StatusCodes.Status400BadRequest);
        api.MapPost("/detokenize", Detokenize).WithName("Detokenize").WithSummary("Text of token ids")
            .WithMetadata(new RequestBodyMetadata(typeof(DetokenizeRequest))).Produces<ApiErrorBody>(StatusCodes.Status400BadRequest);
        return app;
    }

    /// <summary>
    /// GUIDE tags are taken out first, as the completion endpoints do, so the offsets are those of the text that is
    /// steered. The response is bounded: a prompt with more tokens than the context is a 400, found without
    /// tokenizing all of it.
    /// </summary>
    public static async Task<Ok<TokenizeResponse>> Tokenize(HttpContext context, [AsParameters] GenerationServices services)
    {
        var body = await RequestBody.ReadAsync(context, ApiJsonContext.Default.TokenizeRequest, services.Logger);
        RequestBody.LogIgnored(services.Logger, context, body.Extra);
        var model = body.Model is { } name ? services.Host.Require(name) : services.Host.Ready();
        if ((body.Prompt is null) == (body.Messages is null))
            throw SteerException.InvalidRequest("Give exactly one of 'prompt' and 'messages'.", body.Prompt is null ? "prompt" : "messages");
        // The pipeline of the generation endpoints, GUIDE tags taken out: the ids and offsets are those a request would run.
        var chat = body.Messages is null ? null
            : ChatRequestValidator.Validate(new ChatCompletionRequest { Model = model.Name, Messages = body.Messages, ChatTemplateKwargs = body.ChatTemplateKwargs });
        var prompt = chat is null
            ? model.Pipeline.Text(body.Prompt!, null, "prompt", model.MaxContext, addSpecialTokens: body.AddSpecialTokens ?? true)
            : model.Pipeline.Chat(PromptInputs.Chat(chat.Messages, chat.ChatTemplateKwargs, body.AddGenerationPrompt ?? true, body.AddSpecialTokens), null, model.MaxContext);
        string? rendered = chat is null ? null : prompt.Text;
        var ids = prompt.Ids;
        var strs = prompt.Tokens!.TokenStrings; // as the tokenizer produced them: the CLI's `tokens`
        var offsets = prompt.Tokens!.TokenOffsets.Select(o => new[] { o.Start, o.End }).ToList();
        return TypedResults.Ok(new TokenizeResponse(ids, strs, offsets, ids.Length, model.MaxContext, rendered));
    }

    public static async Task<Ok<DetokenizeResponse>> Detokenize(HttpContext context, [AsParameters] GenerationServices services)
    {
        var body = await RequestBody.ReadAsync(context, ApiJsonContext.Default.DetokenizeRequest, services.Logger);
        RequestBody.LogIgnored(services.Logger, context, body.Extra);
        var model = body.Model is { } name ? services.Host.Require(name) : services.Host.Ready();
        if (body.Tokens is null)
            throw SteerException.InvalidRequest("Missing required parameter: 'tokens'.", "tokens", "missing_required_parameter");
        int vocab = model.Model.Config.VocabSize;
        for (int i = 0; i < body.Tokens.Count; i++)
            if ((uint)body.Tokens[i] >= (uint)vocab)
                throw SteerException.InvalidRequest($"Invalid 'tokens[{i}]': token id {body.Tokens[i]} is outside the vocabulary [0, {vocab}).", $"tokens[{i}]");
        return TypedResults.Ok(new DetokenizeResponse(model.Tokenizer.Decode(body.Tokens.ToArray(), body.SkipSpecialTokens ?? false)));
    }
}
