using System.Globalization;
using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Models.Templates;
using SteerServer.Models.Tokenization;
using SteerServer.Steering;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Influence;
using SteerServer.Steering.Spans;

namespace SteerServer.Server.Cli;

/// <summary>
/// The steering part of <c>generate</c>: <c>--steering '{json}'</c> or <c>--steering-file F</c> (the API's
/// <c>steering</c> object; <c>false</c> disables GUIDE tags). GUIDE tags in <c>--prompt</c> apply unless
/// steering is <c>false</c>. Prints the applied spans to stderr; with <c>--json</c> the caller writes
/// <see cref="FinalJsonLine"/> last.
/// </summary>
internal sealed class GenerateSteering
{
    private GenerateSteering(SteeringRequest? request) => Request = request;

    /// <summary>null: neither option given (steering absent: GUIDE tags still apply).</summary>
    public SteeringRequest? Request { get; }

    /// <summary>Reads <c>--steering</c> / <c>--steering-file</c> (one at most).</summary>
    public static GenerateSteering FromArgs(CliArgs cli)
    {
        string? json = cli.String("steering");
        string? file = cli.String("steering-file");
        if (json != null && file != null)
            throw SteerException.InvalidRequest("give at most one of --steering and --steering-file", "steering");
        if (file != null)
        {
            if (!File.Exists(file)) throw SteerException.InvalidRequest($"--steering-file: {file} does not exist", "steering-file");
            json = File.ReadAllText(file);
        }
        return new GenerateSteering(json is null ? null : SteeringRequest.Parse(json));
    }

    /// <summary>True when a steering option was given: then a text prompt is needed to place the spans.</summary>
    public bool Given => Request is not null;

    /// <summary>For <c>--prompt-ids</c>: there is no text to place spans in, so a steering option is an error.</summary>
    public SteeringPlan WithoutText() => Given && Request is not { IsDisabled: true }
        ? throw SteerException.InvalidRequest("--steering needs --prompt: spans are located in the prompt text", "steering")
        : SteeringPlan.None;

    /// <summary>
    /// Removes GUIDE tags from <paramref name="promptText"/> (unless steering is false), tokenizes it, and plans the
    /// offsets. Returns the ids to run and the plan.
    /// </summary>
    public (int[] PromptIds, SteeringPlan Plan) Prepare(string promptText, Tokenizer tokenizer, Model model)
    {
        var limits = SteeringLimits.From(model.Config);
        Request?.HeadConfig?.Validate(limits);
        if (Request is { IsDisabled: true })
            return ([.. tokenizer.Encode(promptText).Ids], SteeringPlan.None);
        var spans = new List<GuideSpan>();
        string clean = GuideTags.ExtractOne(promptText, 0, "prompt", spans);
        var encoding = tokenizer.Encode(clean);
        var plan = SteeringPlanner.Plan(Request, TokenizedPrompt.ForText(clean, encoding.Offsets), spans, limits);
        return ([.. encoding.Ids], plan);
    }

    /// <summary>
    /// <c>--chat</c>: the prompt is one user message through the model's chat template, with its GUIDE tags removed
    /// first; spans are located in that message's content (template provenance). The template writes its own special
    /// tokens, so the text is encoded without adding BOS again (as transformers' apply_chat_template); the plain
    /// fallback format has none, so it gets the tokenizer's usual BOS.
    /// </summary>
    public (int[] PromptIds, SteeringPlan Plan) PrepareChat(string userText, Tokenizer tokenizer, Model model)
    {
        var limits = SteeringLimits.From(model.Config);
        Request?.HeadConfig?.Validate(limits);
        var spans = new List<GuideSpan>();
        string clean = Request is { IsDisabled: true } ? userText : GuideTags.ExtractOne(userText, 0, "prompt", spans);
        var prompt = ChatPrompt.Load(model.Directory);
        var messages = new List<Dictionary<string, object?>> { new() { ["role"] = "user", ["content"] = clean } };
        var rendered = prompt.RenderWithSpans(prompt.CreateContext(messages, addGenerationPrompt: true));
        var encoding = tokenizer.Encode(rendered.Text, addSpecialTokens: prompt.IsPlain);
        if (Request is { IsDisabled: true }) return ([.. encoding.Ids], SteeringPlan.None);
        var tokenized = TokenizedPrompt.FromTemplate(rendered, encoding.Offsets);
        return ([.. encoding.Ids], SteeringPlanner.Plan(Request, tokenized, spans, limits));
    }

    /// <summary>One stderr line per applied span, then the layer and head counts.</summary>
    public static void WriteSummary(TextWriter stderr, SteeringPlan plan)
    {
        if (plan.IsEmpty) return;
        foreach (var s in plan.Report.Spans)
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"steering: {s.Source} span \"{s.Text}\" tokens [{s.TokenStart}, {s.TokenEnd}) offset {s.Offset:G6}"));
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"steering: {plan.Report.Layers} layers, {plan.Report.Heads} heads steered{(plan.Offsets is { SteerDecode: false } ? " (prefill only)" : "")}"));
    }

    /// <summary>The Influence vectors on stderr: one line per layer (−1 = the span indicator).</summary>
    public static void WriteInfluence(TextWriter stderr, InfluenceResult influence)
    {
        for (int l = 0; l < influence.Layers.Count; l++)
            stderr.WriteLine($"{influence.MetricName} layer {l - 1}: " +
                string.Join(' ', influence.Layers[l].Select(v => v.ToString("F4", CultureInfo.InvariantCulture))));
    }

    /// <summary>Runs the Influence pass when the request asked for it.</summary>
    public static InfluenceResult? RunInfluence(SteeringPlan plan, Model model, int[] promptIds) =>
        plan.Influence is { } influence ? InfluenceRunner.Run(model.Backend, influence, promptIds) : null;

    /// <summary><c>{"steering_applied":{...},"influence":{...}|null}</c>, the last line of <c>--json</c> output.</summary>
    public static string FinalJsonLine(SteeringPlan plan, InfluenceResult? influence)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("steering_applied");
            plan.Report.WriteTo(w);
            w.WritePropertyName("influence");
            if (influence is null) w.WriteNullValue();
            else influence.WriteTo(w);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
