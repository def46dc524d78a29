using SteerServer.Models.Errors;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Tests;

/// <summary>steering-methods.md §3, each row that applies to a server, pinned as API.md decides.</summary>
public class EdgeCaseTests
{
    private static readonly SteeringGolden Golden = SteeringGolden.Load("steering", "stories260K");
    private static readonly SteeringLimits Limits = new(5, 8);
    private static readonly double Lambda = Math.Log(0.01);

    private static SteeringRequest Pasta(params string[] substrings) =>
        new() { Substrings = substrings, HeadConfig = HeadConfig.Parse("""{"1":[0,3]}""", "steering.head_config") };

    private static SteeringPlan Plan(SteeringRequest request, TokenizedPrompt? prompt = null, IReadOnlyList<GuideSpan>? guide = null) =>
        SteeringPlanner.Plan(request, prompt ?? Golden.Prompt, guide ?? [], Limits);

    private static float[] Row(SteeringPlan plan, int layer = 1, int head = 0) => plan.Offsets!.Get(layer, head)!;

    [Fact] // E1
    public void AbsentSubstring_400NamingIt()
    {
        var ex = Assert.Throws<SteerException>(() => Plan(Pasta("girl named Lily", "little boy")));
        Assert.Equal("steering.substrings[1]", ex.Param);
        Assert.Contains("little boy", ex.Message);
        // Matching is ordinal: case differs, not found.
        Assert.Equal("steering.substrings[0]", Assert.Throws<SteerException>(() => Plan(Pasta("GIRL"))).Param);
    }

    [Fact] // E3 (the parser already refuses ""; a request built in code is refused by the planner)
    public void EmptySubstring_400() =>
        Assert.Equal("steering.substrings[0]", Assert.Throws<SteerException>(() => Plan(Pasta(""))).Param);

    [Fact] // E3, GUIDE
    public void EmptyTaggedSpan_NoOffsets()
    {
        var x = GuideTags.Extract(["Once <!!-> <-!!>upon"]);
        var plan = Plan(SteeringRequest.Default, TokenizedPrompt.ForText(x.Contents[0]!, [(0, 0), (0, 4), (4, 6), (6, 11)]), x.Spans);
        Assert.Null(plan.Offsets);
        Assert.True(plan.IsEmpty);
    }

    [Fact] // E4
    public void SpanAtCharacterZero_StartsAtFirstRealTokenNotBos()
    {
        var plan = Plan(Pasta("Once upon"));
        Assert.Equal((1, 3), (plan.Report.Spans[0].TokenStart, plan.Report.Spans[0].TokenEnd));
        Assert.Equal(Lambda, Row(plan)[0], 5); // BOS is a non-span column: damped
        Assert.Equal(0, Row(plan)[1]);
    }

    [Fact] // E5
    public void SpanAfterNewline_DoesNotPullInTheNewline()
    {
        var (text, offsets) = TokenizerVectors.Find("line one\nline two");
        var range = SteeringPlanner.LocateSubstring(TokenizedPrompt.ForText(text, offsets), "line two", "p");
        Assert.Equal(new TokenRange(7, offsets.Length), range);
        Assert.Equal((8, 9), offsets[6]); // the "\n" token, which pastalib's closed rule would take
        Assert.Equal(new TokenRange(6, offsets.Length), SpanMapper.Map(offsets, 9, 17, SpanBoundaryRule.Closed));

        // The spec's own example (§1.5.1): AS/half-open gives [4, 8).
        (int, int)[] q = [(0, 0), (0, 1), (1, 2), (2, 3), (3, 9), (9, 12), (12, 17), (17, 18)];
        Assert.Equal(new TokenRange(4, 8), SteeringPlanner.LocateSubstring(TokenizedPrompt.ForText("Q:\nAnswer in JSON.", q), "Answer in JSON.", "p"));
    }

    [Fact] // E6
    public void SpanEdgeInsideToken_RoundsOutward()
    {
        var plan = Plan(Pasta("irl nam"));
        Assert.Equal((11, 14), (plan.Report.Spans[0].TokenStart, plan.Report.Spans[0].TokenEnd));
    }

    [Fact] // E9
    public void DuplicateSubstring_CountsTwice_OverlapsSum()
    {
        var dup = Plan(Pasta("girl named Lily", "girl named Lily"));
        Assert.Equal(2 * Lambda, Row(dup)[0], 4);   // non-span: λ·(k − 0), k = 2
        Assert.Equal(0, Row(dup)[10]);              // span: λ·(2 − 2)
        var include = Plan(Pasta("girl named Lily", "girl named Lily") with { ScalePosition = ScalePosition.Include, Alpha = 20 });
        Assert.Equal(Math.Log(20), Row(include)[12], 4);  // span ×α² vs the rest: λ·(2 − 1) vs −λ
        Assert.Equal(-Math.Log(20), Row(include)[0], 4);

        var overlap = Plan(Pasta("girl named", "named Lily"));
        // girl [10,12) n=1, named [12,14)... " named" is token 13, "Lily" 14; spans [10,14) and [13,15)
        Assert.Equal(Lambda, Row(overlap)[10], 4);
        Assert.Equal(0, Row(overlap)[13]);
        Assert.Equal(Lambda, Row(overlap)[14], 4);
        Assert.Equal(2 * Lambda, Row(overlap)[15], 4);
    }

    [Fact] // E10
    public void SpanCoveringWholePrompt_ExcludeAndIncludeAreNoOps()
    {
        var plan = Plan(Pasta(Golden.PromptText));
        Assert.Equal((1, 21), (plan.Report.Spans[0].TokenStart, plan.Report.Spans[0].TokenEnd)); // BOS is not text
        Assert.Equal(Lambda, Row(plan)[0], 5);
        for (int j = 1; j < 21; j++) Assert.Equal(0, Row(plan)[j]);

        TokenRange[] all = [new(0, 21)];
        var heads = new Dictionary<int, int[]> { [1] = [0] };
        foreach (var mode in new[] { ScalePosition.Exclude, ScalePosition.Include })
        {
            var o = SteeringPlanner.BuildOffsets(Limits, 21, true, mode, Lambda, all, heads, []);
            Assert.All(o!.Get(1, 0)!, v => Assert.Equal(0, v));
        }
        var g = SteeringPlanner.BuildOffsets(Limits, 21, true, ScalePosition.Generation, Lambda, all, heads, []);
        Assert.All(g!.Get(1, 0)!, v => Assert.Equal((float)Lambda, v));
    }

    [Fact] // E17
    public void OutOfRangeLayerOrHead_AtPlanTime_400WithLimits()
    {
        var badLayer = Pasta("girl") with { HeadConfig = HeadConfig.Parse("""{"5":[0]}""", "steering.head_config") };
        var ex = Assert.Throws<SteerException>(() => Plan(badLayer));
        Assert.Equal("steering.head_config.5", ex.Param);
        Assert.Contains("5 layers", ex.Message);
        var badHead = Pasta("girl") with { HeadConfig = HeadConfig.Parse("""{"4":[7,8]}""", "steering.head_config") };
        ex = Assert.Throws<SteerException>(() => Plan(badHead));
        Assert.Equal("steering.head_config.4[1]", ex.Param);
        Assert.Contains("8 attention", ex.Message);
    }

    [Fact] // E17: duplicate heads count once
    public void DuplicateHeads_CountOnce()
    {
        var plan = Plan(Pasta("girl") with { HeadConfig = HeadConfig.Parse("""{"1":[0,0,0]}""", "steering.head_config") });
        Assert.Equal(Lambda, Row(plan)[0], 5);
        Assert.Equal(1, plan.Report.Heads);
        Assert.Equal(1, plan.Report.Layers);
    }

    [Fact] // E18
    public void AlphaOne_NoOffsetRows_ButReported()
    {
        var plan = Plan(Pasta("girl") with { Alpha = 1 });
        Assert.Null(plan.Offsets);
        Assert.Single(plan.Report.Spans);
        Assert.Equal(0.0, plan.Report.Spans[0].Offset);
        Assert.Equal(2, plan.Report.Heads);
        Assert.False(plan.IsEmpty);
    }

    [Fact] // E18: Δ = 0 is a no-op, negative Δ is allowed
    public void GuideDeltaZero_NoOffsets_NegativeAllowed()
    {
        var x = GuideTags.Extract(["Once upon a time, there was a little <!!->girl named Lily<-!!>. She loved to play"]);
        Assert.Null(Plan(new SteeringRequest { Delta = 0 }, null, x.Spans).Offsets);
        var neg = Plan(new SteeringRequest { Delta = -1 }, null, x.Spans);
        Assert.Equal(-1f, neg.Offsets!.Get(4, 7)![10]);
        Assert.Equal(0f, neg.Offsets.Get(4, 7)![9]);
    }

    [Fact]
    public void SubstringsWithoutHeadConfig_UsesModelDefault_Or400()
    {
        var request = new SteeringRequest { Substrings = ["girl"] };
        Assert.Equal("steering.head_config", Assert.Throws<SteerException>(() => Plan(request)).Param);
        var withDefault = Limits with { DefaultHeadConfig = HeadConfig.Parse("[2]", "SteerServer:Model:DefaultHeadConfig") };
        var plan = SteeringPlanner.Plan(request, Golden.Prompt, [], withDefault);
        Assert.Equal(8, plan.Report.Heads);
        Assert.NotNull(plan.Offsets!.Get(2, 7));
        Assert.Null(plan.Offsets.Get(1, 0));
    }

    [Fact]
    public void SteeringFalse_NothingApplied_AbsentStillAppliesTags()
    {
        var x = GuideTags.Extract(["Once upon a time, there was a little <!->girl named Lily<-!>. She loved to play"]);
        Assert.Same(SteeringPlan.None, Plan(SteeringRequest.Disabled, null, x.Spans));
        var plan = SteeringPlanner.Plan(null, Golden.Prompt, x.Spans, Limits);
        Assert.Equal(0.5f, plan.Offsets!.Get(0, 0)![12]); // default delta 1 → level 1 adds 0.5
        Assert.Equal(40, plan.Report.Heads);
        Assert.Equal(5, plan.Report.Layers);
    }

    [Fact] // E13: substrings are found in message contents only, never in template markup
    public void SubstringInTemplateMarkupOnly_NotFound()
    {
        string text = "<|user|>\nhello user\n<|assistant|>\n";
        (int, int)[] offsets = [.. Enumerable.Range(0, text.Length).Select(i => (i, i + 1))];
        var prompt = new TokenizedPrompt(text, offsets, [new ContentRun(0, -1, 0, 9, 10)]); // "hello user", as the template engine reports it
        Assert.Equal(new TokenRange(15, 19), SteeringPlanner.LocateSubstring(prompt, "user", "p")); // not the header's "user" at 2
        Assert.Throws<SteerException>(() => SteeringPlanner.LocateSubstring(prompt, "assistant", "p"));
        Assert.Throws<SteerException>(() => SteeringPlanner.LocateSubstring(prompt, "user\n", "p")); // crosses out of the content
    }

    [Fact]
    public void Influence_SpanFromQuestionTag_ElsePasta_Else400()
    {
        var tagged = GuideTags.Extract(["Once upon a time, there was a little <?->girl named Lily<-?>. She loved to play"]);
        var plan = Plan(new SteeringRequest { Influence = InfluenceMetric.Influence, DeltaInfluence = 1 }, null, tagged.Spans);
        Assert.Null(plan.Offsets); // <?-> is not biased
        Assert.Equal([new TokenRange(10, 15)], plan.Influence!.Ranges);
        Assert.Equal(1f, plan.Influence.PassOffsets!.Get(3, 5)![10]);
        Assert.Equal(0f, plan.Influence.PassOffsets.Get(3, 5)![9]);
        Assert.False(plan.Influence.PassOffsets.SteerDecode);

        var fromPasta = Plan(Pasta("upon a time") with { Influence = InfluenceMetric.AttentionRollout });
        Assert.Equal([new TokenRange(2, 5)], fromPasta.Influence!.Ranges);
        Assert.Null(fromPasta.Influence.PassOffsets); // δ = 0

        Assert.Equal("steering.influence",
            Assert.Throws<SteerException>(() => Plan(new SteeringRequest { Influence = InfluenceMetric.Influence })).Param);
    }
}
