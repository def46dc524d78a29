using SteerServer.Steering.Guide;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Tests;

public class ContentLocationTests
{
    private static (int, int)[] CharTokens(string text) => [.. Enumerable.Range(0, text.Length).Select(i => (i, i + 1))];

    [Fact]
    public void Markers_GiveExactRanges_EvenWhenContentRepeatsMarkup()
    {
        string[] contents = ["user", "say user"];
        string Render(IReadOnlyList<string> c) => $"<|system|>{c[0]}<|user|>{c[1]}<|assistant|>";
        string text = Render(contents);
        string marked = Render([ContentMarkers.Mark(contents[0], 0), ContentMarkers.Mark(contents[1], 1)]);
        var prompt = TokenizedPrompt.ForMessages(text, CharTokens(text), contents, marked);
        Assert.Equal([new ContentRun(0, -1, 0, 10, 4), new ContentRun(1, -1, 0, 22, 8)], prompt.ContentRuns);
    }

    [Fact]
    public void Markers_TemplateChangedContent_FallsBackToSearch()
    {
        string text = "[INST]hi[/INST]";
        string marked = "[INST]" + ContentMarkers.Mark(" hi ", 0) + "[/INST]"; // the real render trimmed
        Assert.Null(ContentMarkers.Locate(text, marked, 1));
        var prompt = TokenizedPrompt.ForMessages(text, CharTokens(text), [" hi "], marked);
        Assert.Equal([new ContentRun(0, -1, 1, 6, 2)], prompt.ContentRuns);
    }

    [Fact]
    public void Search_InOrder_GuideSpanMapsThroughTrim()
    {
        var x = GuideTags.Extract(["  be <!!->brief<-!!>  ", "sys"]);
        string text = "<s>[INST] be brief [/INST] sys";
        var prompt = TokenizedPrompt.ForMessages(text, CharTokens(text), x.Contents);
        var plan = SteeringPlanner.Plan(null, prompt, x.Spans, new SteeringLimits(1, 1));
        Assert.Equal((13, 18), (plan.Report.Spans[0].TokenStart, plan.Report.Spans[0].TokenEnd));
        Assert.Equal("brief", text[13..18]);
    }

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
        var ex = Assert.Throws<SteerServer.Models.Errors.SteerException>(() =>
            SteeringPlanner.Plan(null, TokenizedPrompt.ForMessages(text, CharTokens(text), x.Contents), x.Spans, new SteeringLimits(1, 1)));
        Assert.Equal("messages[1].content", ex.Param);
    }
}
