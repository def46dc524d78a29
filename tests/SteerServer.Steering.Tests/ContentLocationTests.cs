using SteerServer.Steering.Guide;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Tests;

public class ContentLocationTests
{
    private static (int, int)[] CharTokens(string text) => [.. Enumerable.Range(0, text.Length).Select(i => (i, i + 1))];

    [Fact]
    public void TemplateProvenance_SplitRunsAndParts_SpansMapOnlyInsideARun()
    {
        // A template that wrote message 1's content in two runs (e.g. it replaced a character in the middle),
        // and message 0 as a text part.
        string text = "[S]sys[U]hello wide world[A]";
        ContentRun[] runs = [new(1, -1, 0, 9, 6), new(1, -1, 7, 15, 10), new(0, 0, 0, 3, 3)];
        var prompt = new TokenizedPrompt(text, CharTokens(text), runs);
        Assert.Equal(new Spans.TokenRange(15, 19), SteeringPlanner.LocateSubstring(prompt, "wide", "p"));
        Assert.Equal(new Spans.TokenRange(3, 6), SteeringPlanner.LocateSubstring(prompt, "sys", "p"));
        var spans = new List<GuideSpan>();
        GuideTags.ExtractOne("hello X<!->wide<-!> world", 1, "messages[1].content", spans);
        GuideTags.ExtractOne("<!!->sys<-!!>", 0, "messages[0].content[0].text", spans, partIndex: 0);
        var plan = SteeringPlanner.Plan(null, prompt, spans, new SteeringLimits(1, 1));
        Assert.Equal([(15, 19), (3, 6)], plan.Report.Spans.Select(s => (s.TokenStart, s.TokenEnd)));
        var across = new List<GuideSpan>();
        GuideTags.ExtractOne("<!->hello Xwide<-!> world", 1, "messages[1].content", across);
        Assert.Equal("messages[1].content", Assert.Throws<SteerServer.Models.Errors.SteerException>(
            () => SteeringPlanner.Plan(null, prompt, across, new SteeringLimits(1, 1))).Param);
    }

    [Fact]
    public void GuideSpan_ContentDroppedByTemplate_400NamingMessage()
    {
        var x = GuideTags.Extract(["keep", "<!->gone<-!>"]);
        string text = "keep";
        var prompt = new TokenizedPrompt(text, CharTokens(text), [new ContentRun(0, -1, 0, 0, 4)]); // message 1 left no run
        var ex = Assert.Throws<SteerServer.Models.Errors.SteerException>(() =>
            SteeringPlanner.Plan(null, prompt, x.Spans, new SteeringLimits(1, 1)));
        Assert.Equal("messages[1].content", ex.Param);
    }
}
