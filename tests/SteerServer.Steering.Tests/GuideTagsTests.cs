using SteerServer.Models.Errors;
using SteerServer.Steering.Guide;

namespace SteerServer.Steering.Tests;

public class GuideTagsTests
{
    private static GuideExtraction Extract(params string?[] contents) => GuideTags.Extract(contents);

    [Fact]
    public void Extract_AllLevels_RemovesTagsAndRecordsSpans()
    {
        var x = Extract("A <!->low<-!> B <!!->mid<-!!> C <!!!->high<-!!!> D <?->why<-?> E");
        Assert.Equal("A low B mid C high D why E", x.Contents[0]);
        Assert.Equal([GuideLevel.Low, GuideLevel.Mid, GuideLevel.High, GuideLevel.Influence], x.Spans.Select(s => s.Level));
        foreach (var s in x.Spans) Assert.Equal(s.Text, x.Contents[0]![s.Utf16Start..s.Utf16End]);
        Assert.Equal([0.75, 1.5, 3.0, 0.0], x.Spans.Select(s => s.OffsetFor(1.5)));
    }

    [Fact]
    public void Extract_EveryMessage_AcrossLines_Several()
    {
        var x = Extract("system <!->rule one<-!>", null, "line1 <!!->spans\nlines<-!!> and <!!->again<-!!>");
        Assert.Equal("system rule one", x.Contents[0]);
        Assert.Null(x.Contents[1]);
        Assert.Equal("line1 spans\nlines and again", x.Contents[2]);
        Assert.Equal([(0, "rule one"), (2, "spans\nlines"), (2, "again")], x.Spans.Select(s => (s.MessageIndex, s.Text)));
    }

    [Fact]
    public void Extract_WhitespaceInsideTags_ExcludedFromSpanKeptInText()
    {
        var x = Extract("<!-> Rewrite in French: <-!>Paris");
        Assert.Equal(" Rewrite in French: Paris", x.Contents[0]);
        Assert.Equal("Rewrite in French:", x.Spans[0].Text);
        Assert.Equal(1, x.Spans[0].Utf16Start);
    }

    [Fact]
    public void Extract_EmptyTaggedSpan_IsNoOp()
    {
        var x = Extract("a <!->  <-!> b");
        Assert.Equal("a    b", x.Contents[0]);
        Assert.Empty(x.Spans);
    }

    [Fact]
    public void Extract_Nested_BothSpansKept()
    {
        var x = Extract("<!->outer <!!!->inner<-!!!> tail<-!>");
        Assert.Equal("outer inner tail", x.Contents[0]);
        Assert.Equal([("outer inner tail", GuideLevel.Low), ("inner", GuideLevel.High)], x.Spans.Select(s => (s.Text, s.Level)));
    }

    [Theory]
    [InlineData("never <!->closed", "messages[1].content", "never closed")]
    [InlineData("stray close<-!!> here", "messages[1].content", "no opening tag")]
    [InlineData("<!->mismatch<-!!>", "messages[1].content", "expected '<-!>'")]
    public void Extract_BadTags_400NamingMessage(string content, string param, string text)
    {
        var ex = Assert.Throws<SteerException>(() => Extract("fine", content));
        Assert.Equal(param, ex.Param);
        Assert.Equal(ErrorKind.InvalidRequest, ex.Kind);
        Assert.Contains(text, ex.Message);
    }

    [Fact]
    public void Extract_NoTags_SameStrings()
    {
        string s = "a <b> c <- d <!- e";
        var x = Extract(s);
        Assert.Same(s, x.Contents[0]);
        Assert.Empty(x.Spans);
    }
}
