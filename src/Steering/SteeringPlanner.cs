using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Influence;
using SteerServer.Steering.Pasta;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering;

/// <summary>
/// Request → per-layer, per-head key-column offsets, once per request. The server's flow:
/// <list type="number">
/// <item><see cref="SteeringRequest.Parse(System.Text.Json.JsonElement, SteeringLimits?, string)"/> the <c>steering</c> field;</item>
/// <item>unless it is <c>false</c>, <see cref="GuideTags.Extract(IReadOnlyList{string?})"/> on the message contents;</item>
/// <item>render the chat template with the cleaned contents, tokenize, build a <see cref="TokenizedPrompt"/>;</item>
/// <item><see cref="Plan"/>, and hand <see cref="SteeringPlan.Offsets"/> to the engine.</item>
/// </list>
/// </summary>
public static class SteeringPlanner
{
    /// <param name="request">the parsed field; null = absent (the defaults, GUIDE tags still apply)</param>
    /// <param name="prompt">the rendered, tokenized prompt</param>
    /// <param name="guideSpans">spans from <see cref="GuideTags"/> (message-relative; empty when none)</param>
    /// <param name="limits">the model's layer and head counts and its default head set</param>
    public static SteeringPlan Plan(SteeringRequest? request, TokenizedPrompt prompt, IReadOnlyList<GuideSpan> guideSpans, SteeringLimits limits)
    {
        request ??= SteeringRequest.Default;
        if (request.IsDisabled) return SteeringPlan.None;
        int promptLength = prompt.TokenCount;
        var reportSpans = new List<SteeringReportSpan>();

        // PASTA: substrings → token ranges (k counts duplicates), then the head set.
        var pastaRanges = new List<TokenRange>();
        double lambda = Math.Log(request.Alpha);
        for (int i = 0; i < request.Substrings.Count; i++)
        {
            var range = LocateSubstring(prompt, request.Substrings[i], $"steering.substrings[{i}]");
            pastaRanges.Add(range);
            reportSpans.Add(new SteeringReportSpan(request.Substrings[i], "substring", range.TokenStart, range.TokenEnd, lambda));
        }
        for (int i = 0; i < request.TokenSpans.Count; i++)
        {
            var range = request.TokenSpans[i];
            if (range.TokenEnd > promptLength)
                throw SteerException.InvalidRequest(
                    $"Invalid 'steering.token_spans[{i}]': [{range.TokenStart}, {range.TokenEnd}) is outside the {promptLength}-token prompt.", $"steering.token_spans[{i}]");
            pastaRanges.Add(range);
            reportSpans.Add(new SteeringReportSpan(TextOf(prompt, range), "token_span", range.TokenStart, range.TokenEnd, lambda));
        }
        var headConfig = request.HeadConfig ?? limits.DefaultHeadConfig;
        if (headConfig is null && pastaRanges.Count > 0)
            throw SteerException.InvalidRequest(
                "Invalid 'steering.head_config': required when 'substrings' or 'token_spans' is given, because this model has no default head set. " +
                $"Give {{\"layer\": [heads]}} or [layers]; the model has {limits.NumLayers} layers and {limits.NumHeads} heads per layer.",
                "steering.head_config");
        var pastaHeads = headConfig?.Resolve(limits) ?? [];

        // GUIDE: tagged spans → token ranges and their Δ.
        var guideRanges = new List<(TokenRange Range, double Delta, GuideLevel Level)>();
        foreach (var span in guideSpans)
        {
            var range = LocateGuideSpan(prompt, span);
            double delta = span.OffsetFor(request.Delta);
            guideRanges.Add((range, delta, span.Level));
            reportSpans.Add(new SteeringReportSpan(span.Text, "guide", range.TokenStart, range.TokenEnd, delta));
        }

        // Which (layer, head) pairs are steered, for the report: PASTA's set when it has spans, all heads for GUIDE.
        var steered = new bool[limits.NumLayers, limits.NumHeads];
        if (pastaRanges.Count > 0)
            foreach (var (layer, heads) in pastaHeads)
                foreach (int h in heads) steered[layer, h] = true;
        if (guideRanges.Any(g => g.Level != GuideLevel.Influence))
            for (int l = 0; l < limits.NumLayers; l++)
                for (int h = 0; h < limits.NumHeads; h++) steered[l, h] = true;

        var offsets = BuildOffsets(limits, promptLength, request.SteerDecode, request.ScalePosition, lambda, pastaRanges, pastaHeads,
                                   guideRanges.Select(g => (g.Range, g.Delta)).ToList());
        var influence = PlanInfluence(request, limits, promptLength, pastaRanges, guideRanges);
        return new SteeringPlan(offsets, new SteeringReport(reportSpans, CountLayers(steered), CountHeads(steered)), influence);
    }

    /// <summary>The prompt text the tokens of <paramref name="range"/> cover ("" for a token-id prompt).</summary>
    private static string TextOf(TokenizedPrompt prompt, TokenRange range)
    {
        if (prompt.Text.Length == 0) return "";
        int start = TextUnits.CodePointToUtf16(prompt.Text, prompt.TokenOffsets[range.TokenStart].Start);
        int end = TextUnits.CodePointToUtf16(prompt.Text, prompt.TokenOffsets[range.TokenEnd - 1].End);
        return end > start ? prompt.Text[start..end] : "";
    }

    /// <summary>
    /// The offsets for token ranges already known: PASTA (<paramref name="pastaRanges"/> on <paramref name="pastaHeads"/>)
    /// plus GUIDE (Δ on each range, every layer and head), summed. Null when every offset is 0.
    /// </summary>
    public static AttentionOffsets? BuildOffsets(SteeringLimits limits, int promptLength, bool steerDecode,
                                                 ScalePosition mode, double lambda, IReadOnlyList<TokenRange> pastaRanges,
                                                 IReadOnlyDictionary<int, int[]> pastaHeads, IReadOnlyList<(TokenRange Range, double Delta)> guideRanges)
    {
        AttentionOffsets? offsets = null;
        AttentionOffsets Offsets() => offsets ??= new AttentionOffsets(limits.NumLayers, limits.NumHeads, promptLength, steerDecode);

        // α = 1 gives λ = 0: every PASTA offset is 0, so no row is created (zero cost in attention).
        if (pastaRanges.Count > 0 && lambda != 0)
        {
            float[] pasta = PastaOffsets.Compute(mode, lambda, pastaRanges, promptLength);
            foreach (var (layer, heads) in pastaHeads)
                foreach (int h in heads)
                    AddInto(Offsets().GetOrCreate(layer, h), pasta);
        }
        foreach (var (range, delta) in guideRanges)
        {
            if (delta == 0) continue;
            int start = Math.Max(range.TokenStart, 0), end = Math.Min(range.TokenEnd, promptLength);
            for (int l = 0; l < limits.NumLayers; l++)
                for (int h = 0; h < limits.NumHeads; h++)
                {
                    var row = Offsets().GetOrCreate(l, h);
                    for (int j = start; j < end; j++) row[j] = (float)(row[j] + delta);
                }
        }
        return offsets;
    }

    /// <summary>Locates <paramref name="substring"/> in the message contents (first occurrence, messages in order, ordinal) and maps it to tokens.</summary>
    public static TokenRange LocateSubstring(TokenizedPrompt prompt, string substring, string param)
    {
        string text = prompt.Text;
        foreach (var run in prompt.ContentRuns)
        {
            if (run.Utf16Length < substring.Length) continue;
            int at = text.IndexOf(substring, run.Utf16Start, run.Utf16Length, StringComparison.Ordinal);
            if (at < 0) continue;
            return MapUtf16(prompt, at, at + substring.Length) ?? throw SteerException.InvalidRequest(
                $"Invalid '{param}': the substring was found at character {TextUnits.Utf16ToCodePoint(text, at)} but covers no prompt token.", param);
        }
        throw SteerException.InvalidRequest(
            $"Invalid '{param}': the substring \"{Shorten(substring)}\" was not found in the message contents (matching is exact and case-sensitive).", param);
    }

    private static TokenRange LocateGuideSpan(TokenizedPrompt prompt, GuideSpan span)
    {
        string param = span.PartIndex >= 0 ? $"messages[{span.MessageIndex}].content[{span.PartIndex}].text" : $"messages[{span.MessageIndex}].content";
        // The first run of that message (part) that holds the whole span verbatim.
        foreach (var run in prompt.ContentRuns)
        {
            if (run.MessageIndex != span.MessageIndex || run.PartIndex != span.PartIndex) continue;
            if (span.Utf16Start < run.ContentUtf16Start || span.Utf16End > run.ContentUtf16End) continue;
            int start = run.Utf16Start + (span.Utf16Start - run.ContentUtf16Start);
            int end = start + span.Text.Length;
            if (string.CompareOrdinal(prompt.Text, start, span.Text, 0, span.Text.Length) != 0) continue;
            return MapUtf16(prompt, start, end) ?? throw SteerException.InvalidRequest(
                $"Invalid '{param}': the GUIDE-tagged text \"{Shorten(span.Text)}\" covers no prompt token.", param);
        }
        throw SteerException.InvalidRequest(
            $"Invalid '{param}': the GUIDE-tagged text \"{Shorten(span.Text)}\" is not in the rendered prompt (the chat template changed or dropped this content).", param);
    }

    private static TokenRange? MapUtf16(TokenizedPrompt prompt, int utf16Start, int utf16End)
    {
        int charStart = TextUnits.Utf16ToCodePoint(prompt.Text, utf16Start);
        int charEnd = TextUnits.Utf16ToCodePoint(prompt.Text, utf16End);
        return SpanMapper.Map(prompt.TokenOffsets, charStart, charEnd);
    }

    private static InfluencePlan? PlanInfluence(SteeringRequest request, SteeringLimits limits, int promptLength,
                                                List<TokenRange> pastaRanges, List<(TokenRange Range, double Delta, GuideLevel Level)> guideRanges)
    {
        if (request.Influence is not { } metric) return null;
        // The <?-> spans when tagged, else the PASTA spans.
        List<TokenRange> ranges = [.. guideRanges.Where(g => g.Level == GuideLevel.Influence).Select(g => g.Range)];
        if (ranges.Count == 0) ranges = pastaRanges;
        if (ranges.Count == 0)
            throw SteerException.InvalidRequest(
                "Invalid 'steering.influence': it needs a span; tag one with <?-> … <-?> in a message or give 'substrings'.",
                "steering.influence");
        InfluenceRunner.CheckSize(limits.NumLayers, promptLength);
        return InfluencePlan.Create(metric, ranges, request.DeltaInfluence, limits.NumLayers, limits.NumHeads, promptLength);
    }

    private static void AddInto(float[] row, float[] add)
    {
        for (int j = 0; j < row.Length; j++) row[j] += add[j];
    }

    private static int CountLayers(bool[,] steered)
    {
        int n = 0;
        for (int l = 0; l < steered.GetLength(0); l++)
            for (int h = 0; h < steered.GetLength(1); h++)
                if (steered[l, h]) { n++; break; }
        return n;
    }

    private static int CountHeads(bool[,] steered)
    {
        int n = 0;
        foreach (bool b in steered) if (b) n++;
        return n;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
