using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Server.Hosting;
using SteerServer.Server.Validation;
using SteerServer.Steering;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Influence;
using SteerServer.Steering.Spans;

namespace SteerServer.Server.Endpoints;

/// <summary>
/// Request → token ids + steering plan, following the steering library's flow: parse <c>steering</c> (absent: the
/// model's default), take GUIDE tags out of the message contents (unless steering is <c>false</c>), render the chat
/// template with the cleaned contents, tokenize, locate spans in the rendered prompt, plan the offsets.
/// </summary>
public static class PromptPreparer
{
    public static PreparedPrompt Chat(ServedModel model, ValidChatRequest request)
    {
        var steering = ParseSteering(model, request.Steering);
        var contents = request.Messages.Select(m => m.Content).ToList();
        var guide = steering is { IsDisabled: true }
            ? new GuideExtraction(contents, [])
            : GuideTags.Extract(contents, i => $"messages[{i}].content");
        var (text, runs) = model.Prompts.RenderWithContentRuns(request.Messages, guide.Contents, request.ChatTemplateKwargs);
        var encoding = model.Prompts.Encode(text);
        var rendered = new TokenizedPrompt(text, encoding.Offsets, runs);
        return Finish(model, encoding.Ids, steering, rendered, guide.Spans);
    }

    /// <summary>A completion prompt: text (GUIDE tags apply; BOS as the tokenizer adds it) or token ids (no spans to locate).</summary>
    public static PreparedPrompt Completion(ServedModel model, CompletionPrompt prompt, JsonElement steeringJson, string param)
    {
        var steering = ParseSteering(model, steeringJson);
        if (prompt.TokenIds is { } ids)
        {
            if (steering is { IsDisabled: false } && (steering.Substrings.Count > 0 || steering.Influence is not null))
                throw SteerException.InvalidRequest($"Invalid 'steering': substrings and influence need a text prompt to locate spans in; '{param}' is token ids.", "steering");
            var vocab = model.Model.Config.VocabSize;
            for (int i = 0; i < ids.Count; i++)
                if ((uint)ids[i] >= (uint)vocab)
                    throw SteerException.InvalidRequest($"Invalid '{param}[{i}]': token id {ids[i]} is outside the vocabulary [0, {vocab}).", $"{param}[{i}]");
            return new PreparedPrompt([.. ids], SteeringPlan.None, null);
        }
        string text = prompt.Text!;
        var guide = steering is { IsDisabled: true }
            ? new GuideExtraction([text], [])
            : GuideTags.Extract([text], _ => param);
        string clean = guide.Contents[0]!;
        var encoding = model.Prompts.EncodeText(clean);
        if (encoding.Ids.Length == 0)
            throw SteerException.InvalidRequest($"Invalid '{param}': the prompt is empty (no tokens).", param);
        return Finish(model, encoding.Ids, steering, TokenizedPrompt.ForText(clean, encoding.Offsets), guide.Spans);
    }

    private static SteeringRequest? ParseSteering(ServedModel model, JsonElement steering)
    {
        var parsed = SteeringRequest.Parse(steering, model.SteeringLimits);
        if (parsed is null && model.DefaultSteering.ValueKind == JsonValueKind.Object)
            parsed = SteeringRequest.Parse(model.DefaultSteering, model.SteeringLimits);
        return parsed;
    }

    private static PreparedPrompt Finish(ServedModel model, int[] ids, SteeringRequest? steering, TokenizedPrompt rendered, IReadOnlyList<GuideSpan> guideSpans)
    {
        if (ids.Length == 0)
            throw SteerException.InvalidRequest("The rendered prompt is empty (no tokens).", "messages");
        var plan = steering is { IsDisabled: true } || (steering is null && guideSpans.Count == 0)
            ? SteeringPlan.None
            : SteeringPlanner.Plan(steering, rendered, guideSpans, model.SteeringLimits);
        var influence = plan.Influence is { } ip ? InfluenceRunner.Run(model.Model.Backend, ip, ids) : null;
        return new PreparedPrompt(ids, plan, influence);
    }
}
