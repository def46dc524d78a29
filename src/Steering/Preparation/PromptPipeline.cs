using System.Text.Json;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;
using SteerServer.Models.Templates;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Preparation;

/// <summary>
/// The one way a prompt becomes model input, for the server, <c>generate</c> and <c>profile</c>:
/// <list type="number">
/// <item>the <c>steering</c> object (absent: the model's default, parsed once at load);</item>
/// <item>GUIDE tags out of the message contents (unless steering is <c>false</c>);</item>
/// <item>the chat template with the cleaned contents, keeping where each piece of content landed;</item>
/// <item>tokens, with one rule for BOS: text a real chat template rendered gets no special tokens added (the template
/// writes its own, as transformers' <c>apply_chat_template</c> and vLLM do); raw text and the plain format get the
/// tokenizer's usual ones;</item>
/// <item>the steering plan (offsets, report, and the Influence plan, which the caller runs).</item>
/// </list>
/// Built once per model; immutable and safe to share between requests.
/// </summary>
public sealed class PromptPipeline
{
    public PromptPipeline(Tokenizer tokenizer, ChatPrompt chat, ModelConfig config, int contextLength, SteeringLimits limits,
        SteeringRequest? defaultSteering = null)
    {
        Tokenizer = tokenizer;
        ChatFormat = chat;
        ContextLength = contextLength;
        VocabSize = config.VocabSize;
        Limits = limits;
        DefaultSteering = defaultSteering;
        EosTokenIds = EosSet(config, tokenizer);
    }

    /// <summary>
    /// The pipeline of the model in <paramref name="modelDir"/>. <paramref name="defaultSteering"/> (a <c>steering</c>
    /// object, Undefined = none) is parsed here once; errors name <paramref name="defaultSteeringParam"/>.
    /// </summary>
    public static PromptPipeline Load(string modelDir, ModelConfig config, int? contextLength = null, HeadConfig? defaultHeads = null,
        JsonElement defaultSteering = default, string defaultSteeringParam = "steering")
    {
        var limits = SteeringLimits.From(config, defaultHeads);
        defaultHeads?.Validate(limits);
        var steering = SteeringRequest.Parse(defaultSteering, limits, defaultSteeringParam);
        return new PromptPipeline(Tokenizer.Load(modelDir), ChatPrompt.Load(modelDir), config, contextLength ?? config.MaxPositionEmbeddings, limits, steering);
    }

    public Tokenizer Tokenizer { get; }

    /// <summary>The model's chat template (or the plain format) and its special token strings.</summary>
    public ChatPrompt ChatFormat { get; }

    /// <summary>Prompt plus generated tokens may not exceed this; a prompt is refused past <c>ContextLength - 1</c> tokens.</summary>
    public int ContextLength { get; }

    public int VocabSize { get; }

    /// <summary>The model's layer and head counts and its default PASTA head set.</summary>
    public SteeringLimits Limits { get; }

    /// <summary>Used when a request sends no <c>steering</c>; null = none configured.</summary>
    public SteeringRequest? DefaultSteering { get; }

    /// <summary>
    /// The ids that end generation: <c>generation_config.json</c>/<c>config.json</c>'s <c>eos_token_id</c> (one or a list)
    /// plus the tokenizer's <c>eos_token</c> (chat models often end turns with a token the config does not list).
    /// </summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>The EOS set for a model, with or without a tokenizer (<c>generate --prompt-ids</c> on a model without tokenizer.json).</summary>
    public static int[] EosSet(ModelConfig config, Tokenizer? tokenizer) =>
        [.. config.EosTokenIds.Concat(tokenizer?.EosTokenId is { } e ? [e] : []).Distinct()];

    /// <summary>A request's <c>steering</c> field, checked against the model; absent or null → <see cref="DefaultSteering"/>.</summary>
    public SteeringRequest? ParseSteering(JsonElement steering, string path = "steering") =>
        SteeringRequest.Parse(steering, Limits, path) ?? DefaultSteering;

    /// <summary>Messages → chat template → tokens → plan. Errors name <c>messages</c> (or <c>messages[i].content</c> for GUIDE tags).</summary>
    /// <param name="maxTokens">refuse the prompt past this many tokens; null: <see cref="ContextLength"/> − 1</param>
    /// <param name="continuation">text tokenized together with the prompt and split off after it (see <see cref="PreparedPrompt.ContinuationIds"/>)</param>
    public PreparedPrompt Chat(ChatInput input, SteeringRequest? steering, int? maxTokens = null, string? continuation = null)
    {
        var contents = Enumerable.Range(0, input.Messages.Count).Select(input.ContentOf).ToList();
        var guide = steering is { IsDisabled: true }
            ? new GuideExtraction(contents, [])
            : GuideTags.Extract(contents, i => $"messages[{i}].content");
        var messages = new List<Dictionary<string, object?>>(input.Messages.Count);
        for (int i = 0; i < input.Messages.Count; i++)
        {
            var m = new Dictionary<string, object?>(input.Messages[i], StringComparer.Ordinal);
            if (guide.Contents[i] is { } clean) m["content"] = clean;
            messages.Add(m);
        }
        var rendered = ChatFormat.RenderWithSpans(ChatFormat.CreateContext(messages, input.Tools, input.AddGenerationPrompt, input.TemplateKwargs));
        var (ids, offsets, strings, rest) = Encode(rendered.Text, continuation, input.AddSpecialTokens ?? ChatFormat.IsPlain, maxTokens, "messages");
        return Finish(ids, TokenizedPrompt.FromTemplate(rendered, offsets, strings), steering, guide.Spans, rest, "messages");
    }

    /// <summary>Raw text (a completion prompt, <c>generate --prompt</c>) → tokens → plan; the whole text is searched for spans.</summary>
    /// <param name="param">names the prompt in errors, e.g. <c>prompt[2]</c></param>
    public PreparedPrompt Text(string text, SteeringRequest? steering, string param = "prompt", int? maxTokens = null, string? continuation = null,
        bool addSpecialTokens = true)
    {
        var guide = steering is { IsDisabled: true } ? new GuideExtraction([text], []) : GuideTags.Extract([text], _ => param);
        string clean = guide.Contents[0]!;
        var (ids, offsets, strings, rest) = Encode(clean, continuation, addSpecialTokens, maxTokens, param);
        return Finish(ids, TokenizedPrompt.ForText(clean, offsets, strings), steering, guide.Spans, rest, param);
    }

    /// <summary>A prompt given as token ids: checked against the vocabulary; there is no text, so only <c>token_spans</c> place spans.</summary>
    public PreparedPrompt Ids(IReadOnlyList<int> ids, SteeringRequest? steering, string param = "prompt", int? maxTokens = null)
    {
        if (steering is { IsDisabled: false } && (steering.Substrings.Count > 0 || steering.Influence is not null))
            throw SteerException.InvalidRequest($"Invalid 'steering': substrings and influence need a text prompt to locate spans in; '{param}' is token ids (use token_spans).", "steering");
        if (ids.Count == 0) throw SteerException.InvalidRequest($"Invalid '{param}': the prompt is empty (no tokens).", param);
        for (int i = 0; i < ids.Count; i++)
            if ((uint)ids[i] >= (uint)VocabSize)
                throw SteerException.InvalidRequest($"Invalid '{param}[{i}]': token id {ids[i]} is outside the vocabulary [0, {VocabSize}).", $"{param}[{i}]");
        RequireWithin(ids.Count, maxTokens, param);
        var plan = steering is { IsDisabled: false, TokenSpans.Count: > 0 }
            ? SteeringPlanner.Plan(steering, TokenizedPrompt.ForText("", new (int, int)[ids.Count]), [], Limits)
            : SteeringPlan.None;
        return new PreparedPrompt([.. ids], plan, null, []);
    }

    private (int[] Ids, IReadOnlyList<(int Start, int End)> Offsets, IReadOnlyList<string> Strings, int[] Continuation) Encode(string text, string? continuation, bool addSpecialTokens,
        int? maxTokens, string param)
    {
        // Without a continuation the tokenizer stops as soon as the prompt is certainly over the limit (a 10 MB prompt
        // costs a bounded prefix); with one, the limit applies to the prompt part only, known after the split.
        int limit = maxTokens ?? ContextLength - 1;
        var encoding = Tokenizer.Encode(continuation is null ? text : text + continuation, addSpecialTokens, continuation is null ? limit : int.MaxValue);
        if (encoding.LimitExceeded)
            throw SteerException.ContextLength(
                $"This model's maximum context length is {ContextLength} tokens. However, your prompt has more than {limit} tokens. Please shorten the prompt.", param);
        RequireWithin(encoding.Count, maxTokens, param);
        int split = encoding.Count;
        if (continuation is not null)
        {
            // Tokenized together, so the continuation's first token is the one the model would produce there
            // ("▁word" / "Ġword" merge the space); a token straddling the boundary belongs to the continuation.
            int promptCodePoints = Tokenizer.Utf16ToCodePoint(text + continuation, text.Length);
            split = 0;
            while (split < encoding.Count && encoding.Offsets[split].End <= promptCodePoints) split++;
        }
        var ids = encoding.Ids.ToArray();
        return split == encoding.Count
            ? (ids, encoding.Offsets, encoding.Tokens, [])
            : (ids[..split], [.. encoding.Offsets.Take(split)], [.. encoding.Tokens.Take(split)], ids[split..]);
    }

    private void RequireWithin(int tokens, int? maxTokens, string param)
    {
        int limit = maxTokens ?? ContextLength - 1;
        if (tokens > limit)
            throw SteerException.ContextLength(maxTokens is null
                ? $"This model's maximum context length is {ContextLength} tokens. However, your prompt has {tokens} tokens, leaving no room for the completion. Please shorten the prompt."
                : $"The prompt has {tokens} tokens, more than the {limit} allowed here (this model's maximum context length is {ContextLength} tokens).",
                param);
    }

    private PreparedPrompt Finish(int[] ids, TokenizedPrompt tokens, SteeringRequest? steering, IReadOnlyList<GuideSpan> guideSpans, int[] continuation, string param)
    {
        if (ids.Length == 0) throw SteerException.InvalidRequest($"Invalid '{param}': the prompt is empty (no tokens).", param);
        var plan = steering is { IsDisabled: true } || (steering is null && guideSpans.Count == 0)
            ? SteeringPlan.None
            : SteeringPlanner.Plan(steering, tokens, guideSpans, Limits);
        return new PreparedPrompt(ids, plan, tokens, continuation);
    }
}
