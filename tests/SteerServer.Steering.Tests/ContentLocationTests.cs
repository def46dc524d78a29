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
        var prompt = RenderedPrompt.ForMessages(text, CharTokens(text), contents, marked);
        Assert.Equal(new ContentLocation(10, 14), prompt.MessageContents[0]);
        Assert.Equal(new ContentLocation(22, 30), prompt.MessageContents[1]);
    }

    [Fact]
    public void Markers_TemplateChangedContent_FallsBackToSearch()
    {
        string text = "[INST]hi[/INST]";
        string marked = "[INST]" + ContentMarkers.Mark(" hi ", 0) + "[/INST]"; // the real render trimmed
        Assert.Null(ContentMarkers.Locate(text, marked, 1));
        var prompt = RenderedPrompt.ForMessages(text, CharTokens(text), [" hi "], marked);
        Assert.Equal(new ContentLocation(6, 8, 1), prompt.MessageContents[0]);
    }

    [Fact]
    public void Search_InOrder_GuideSpanMapsThroughTrim()
    {
        var x = GuideTags.Extract(["  be <!!->brief<-!!>  ", "sys"]);
        string text = "<s>[INST] be brief [/INST] sys";
        var prompt = RenderedPrompt.ForMessages(text, CharTokens(text), x.Contents);
        var plan = SteeringPlanner.Plan(null, prompt, x.Spans, new SteeringLimits(1, 1));
        Assert.Equal((13, 18), (plan.Report.Spans[0].TokenStart, plan.Report.Spans[0].TokenEnd));
        Assert.Equal("brief", text[13..18]);
    }

    [Fact]
    public void GuideSpan_ContentDroppedByTemplate_400NamingMessage()
    {
        var x = GuideTags.Extract(["keep", "<!->gone<-!>"]);
        string text = "keep";
        var ex = Assert.Throws<SteerServer.Models.Errors.SteerException>(() =>
            SteeringPlanner.Plan(null, RenderedPrompt.ForMessages(text, CharTokens(text), x.Contents), x.Spans, new SteeringLimits(1, 1)));
        Assert.Equal("messages[1].content", ex.Param);
    }
}
