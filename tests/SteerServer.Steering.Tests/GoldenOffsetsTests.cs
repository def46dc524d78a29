using System.Text.Json;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Spans;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests;

/// <summary>
/// Every steered golden case, given as a request (substrings and GUIDE tags, never explicit offsets), must
/// build offsets equal to the case's explicit <c>offsets</c>, and every span probe must map as recorded.
/// </summary>
public class GoldenOffsetsTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "stories260K", "tiny-qwen2" })
            foreach (var name in SteeringGolden.CaseNames(model)) data.Add(model, name);
        return data;
    }

    public static TheoryData<string> Models() => new() { "stories260K", "tiny-qwen2" };

    internal static SteeringLimits LimitsOf(string modelDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestDataPaths.Root, modelDir, "config.json")));
        return new SteeringLimits(doc.RootElement.GetProperty("num_hidden_layers").GetInt32(),
                                  doc.RootElement.GetProperty("num_attention_heads").GetInt32());
    }

    /// <summary>The request a client would send for a golden case, and the plan it gives.</summary>
    internal static (SteeringPlan Plan, string CleanText, IReadOnlyList<GuideSpan> GuideSpans, SteeringRequest Request)
        PlanCase(SteeringGolden golden, JsonElement c, GuideLevel guideLevel = GuideLevel.Mid, Func<string, TokenizedPrompt>? tokenize = null)
    {
        var request = new SteeringRequest { SteerDecode = c.GetProperty("steer_decode").GetBoolean() };
        if (c.TryGetProperty("pasta", out var pasta))
        {
            request = request with
            {
                Substrings = [.. pasta.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("text").GetString()!)],
                HeadConfig = HeadConfig.Parse(pasta.GetProperty("head_config").GetRawText(), "steering.head_config"),
                Alpha = pasta.GetProperty("alpha").GetDouble(),
                ScalePosition = Enum.Parse<ScalePosition>(pasta.GetProperty("scale_position").GetString()!, ignoreCase: true),
            };
        }
        string text = golden.PromptText;
        if (c.TryGetProperty("guide", out var guide))
        {
            double delta = guide.GetProperty("delta").GetDouble();
            // Mid gives Δ = delta; Low and High give delta/2 and 2·delta, so scale the request's delta to match.
            request = request with { Delta = guideLevel switch { GuideLevel.Low => 2 * delta, GuideLevel.High => delta / 2, _ => delta } };
            text = golden.Tagged(guide.GetProperty("span"), guideLevel);
        }
        var extraction = GuideTags.Extract([text]);
        string clean = extraction.Contents[0]!;
        var prompt = tokenize?.Invoke(clean) ?? TokenizedPrompt.ForText(clean, golden.TokenOffsets);
        var limits = LimitsOf(golden.Root.GetProperty("model_dir").GetString()!);
        return (SteeringPlanner.Plan(request, prompt, extraction.Spans, limits), clean, extraction.Spans, request);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Plan_GoldenCaseAsRequest_OffsetsEqualExplicitOffsets(string model, string caseName)
    {
        var golden = SteeringGolden.Load("steering", model);
        var c = golden.Case(caseName);
        foreach (var level in new[] { GuideLevel.Low, GuideLevel.Mid, GuideLevel.High })
        {
            var (plan, clean, _, _) = PlanCase(golden, c, level);
            Assert.Equal(golden.PromptText, clean);
            var limits = LimitsOf(golden.Root.GetProperty("model_dir").GetString()!);
            int promptLength = golden.PromptIds.Length;

            var expected = new Dictionary<(int, int), double[]>();
            foreach (var o in c.GetProperty("offsets").EnumerateArray())
            {
                double[] values = [.. o.GetProperty("values").EnumerateArray().Select(v => v.GetDouble())];
                Assert.Equal(promptLength, values.Length);
                foreach (var h in o.GetProperty("heads").EnumerateArray())
                    expected[(o.GetProperty("layer").GetInt32(), h.GetInt32())] = values;
            }
            Assert.NotNull(plan.Offsets);
            Assert.Equal(promptLength, plan.Offsets!.PromptLength);
            Assert.Equal(c.GetProperty("steer_decode").GetBoolean(), plan.Offsets.SteerDecode);
            for (int l = 0; l < limits.NumLayers; l++)
                for (int h = 0; h < limits.NumHeads; h++)
                {
                    float[]? row = plan.Offsets.Get(l, h);
                    double[] want = expected.TryGetValue((l, h), out var v) ? v : new double[promptLength];
                    for (int j = 0; j < promptLength; j++)
                    {
                        double got = row?[j] ?? 0.0;
                        Assert.True(Tolerances.OffsetClose(got, want[j]),
                            $"{model}/{caseName} ({level}): layer {l} head {h} column {j}: got {got}, expected {want[j]}");
                    }
                }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Plan_GoldenCaseAsRequest_ReportNamesSpansAndHeads(string model, string caseName)
    {
        var golden = SteeringGolden.Load("steering", model);
        var c = golden.Case(caseName);
        var (plan, _, _, request) = PlanCase(golden, c);
        var limits = LimitsOf(golden.Root.GetProperty("model_dir").GetString()!);
        var expectedSpans = new List<(string Text, string Source, TokenRange Range, double Offset)>();
        int heads = 0;
        if (c.TryGetProperty("pasta", out var pasta))
        {
            foreach (var s in pasta.GetProperty("spans").EnumerateArray())
                expectedSpans.Add((s.GetProperty("text").GetString()!, "substring", SteeringGolden.Range(s.GetProperty("token_range")), pasta.GetProperty("lambda").GetDouble()));
            heads = pasta.GetProperty("head_config_resolved").EnumerateObject().Sum(p => p.Value.GetArrayLength());
        }
        if (c.TryGetProperty("guide", out var guide))
        {
            var s = guide.GetProperty("span");
            expectedSpans.Add((s.GetProperty("text").GetString()!, "guide", SteeringGolden.Range(guide.GetProperty("token_range")), guide.GetProperty("delta").GetDouble()));
            heads = limits.NumLayers * limits.NumHeads;
        }
        Assert.Equal(expectedSpans.Count, plan.Report.Spans.Count);
        for (int i = 0; i < expectedSpans.Count; i++)
        {
            var (text, source, range, offset) = expectedSpans[i];
            var got = plan.Report.Spans[i];
            Assert.Equal(text, got.Text);
            Assert.Equal(source, got.Source);
            Assert.Equal(range, new TokenRange(got.TokenStart, got.TokenEnd));
            Assert.True(Tolerances.OffsetClose(got.Offset, offset), $"offset {got.Offset} vs {offset}");
        }
        Assert.Equal(heads, plan.Report.Heads);
        Assert.Null(plan.Influence);
        Assert.False(request.IsDisabled);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void SpanMapper_EveryGoldenProbe_MapsToRecordedRanges(string model)
    {
        var golden = SteeringGolden.Load("steering", model);
        var offsets = golden.TokenOffsets;
        string text = golden.PromptText;
        foreach (var probe in golden.Root.GetProperty("span_mapping").EnumerateArray())
        {
            string sub = probe.GetProperty("text").GetString()!;
            int occurrence = probe.GetProperty("occurrence").GetInt32();
            int at = text.IndexOf(sub, StringComparison.Ordinal);
            for (int o = 0; o < occurrence; o++) at = text.IndexOf(sub, at + 1, StringComparison.Ordinal);
            int cs = TextUnits.Utf16ToCodePoint(text, at), ce = TextUnits.Utf16ToCodePoint(text, at + sub.Length);
            var charRange = probe.GetProperty("char_range");
            Assert.Equal((charRange[0].GetInt32(), charRange[1].GetInt32()), (cs, ce));

            var halfOpen = SpanMapper.Map(offsets, cs, ce);
            var expectedHalfOpen = probe.GetProperty("token_range_half_open");
            if (expectedHalfOpen.ValueKind == JsonValueKind.Null) Assert.Null(halfOpen);
            else Assert.Equal(SteeringGolden.Range(expectedHalfOpen), halfOpen);
            Assert.Equal(SteeringGolden.Range(probe.GetProperty("token_range_closed")), SpanMapper.Map(offsets, cs, ce, SpanBoundaryRule.Closed));

            // Through the planner (message contents, first occurrence): the range the cases use.
            if (occurrence == 0)
                Assert.Equal(SteeringGolden.Range(probe.GetProperty("token_range")),
                             SteeringPlanner.LocateSubstring(golden.Prompt, sub, "steering.substrings[0]"));
        }
    }
}
