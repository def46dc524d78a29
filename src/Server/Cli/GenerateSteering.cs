using System.Globalization;
using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Steering;
using SteerServer.Steering.Influence;
using SteerServer.Steering.Preparation;

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

    /// <summary>The request checked against the model (its <c>head_config</c> against the layer and head counts).</summary>
    public SteeringRequest? For(PromptPipeline pipeline)
    {
        Request?.HeadConfig?.Validate(pipeline.Limits);
        return Request;
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

    /// <summary>Runs the Influence pass when the plan asks for it (the pipeline plans it; the caller runs it).</summary>
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
