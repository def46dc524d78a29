using System.Text.Json.Nodes;
using SteerServer.Models.Templates;

namespace SteerServer.Models.Tests.Templates;

/// <summary><see cref="ChatTemplate.RenderWithSpans"/>: same text as Render, spans cover verbatim content only.</summary>
public class ChatTemplateSpanTests
{
    public static IEnumerable<object[]> RenderCases => ChatTemplateCases.Ids(ChatTemplateCases.Cases, errors: false);

    [Theory]
    [MemberData(nameof(RenderCases))]
    public void RenderWithSpans_EveryCase_SameTextAndSpansCopyContent(string id)
    {
        var row = ChatTemplateCases.Get(ChatTemplateCases.Cases, id);
        var template = ChatTemplate.Parse((string)row["template"]!);
        var context = ChatTemplateCases.Context(row);
        var rendered = template.RenderWithSpans(context);

        Assert.Equal((string)row["expected"]!, rendered.Text);
        var messages = row["messages"]!.AsArray();
        foreach (var span in rendered.Spans)
        {
            var content = span.PartIndex < 0
                ? (string)messages[span.MessageIndex]!["content"]!
                : (string)messages[span.MessageIndex]!["content"]![span.PartIndex]!["text"]!;
            Assert.Equal(content.Substring(span.ContentUtf16Start, span.Utf16Length), rendered.Text.Substring(span.Utf16Start, span.Utf16Length));
        }
        // Spans do not overlap.
        var ordered = rendered.Spans.OrderBy(s => s.Utf16Start).ToList();
        for (var i = 1; i < ordered.Count; i++)
            Assert.True(ordered[i].Utf16Start >= ordered[i - 1].Utf16End);
    }

    [Theory]
    [InlineData("qwen2.5-instruct/system-multi-turn-end-assistant-nogen")]
    [InlineData("llama-3.1-8b-instruct/multi-turn-gen")]
    [InlineData("chatml/multi-turn-gen")]
    [InlineData("mistral-7b-instruct-v0.3/multi-turn-gen")]
    [InlineData("gemma-2-it/multi-turn-gen")]
    public void RenderWithSpans_PlainConversation_EveryUserMessageLocated(string id)
    {
        var row = ChatTemplateCases.Get(ChatTemplateCases.Cases, id);
        var rendered = ChatTemplate.Parse((string)row["template"]!).RenderWithSpans(ChatTemplateCases.Context(row));
        var messages = row["messages"]!.AsArray();
        for (var i = 0; i < messages.Count; i++)
        {
            if ((string)messages[i]!["role"]! != "user") continue;
            var content = (string)messages[i]!["content"]!;
            var trimmed = content.Trim();
            var spans = rendered.SpansOf(i).ToList();
            Assert.NotEmpty(spans);
            Assert.Equal(trimmed, string.Concat(spans.Select(s => rendered.Text.Substring(s.Utf16Start, s.Utf16Length))).Trim());
        }
    }

    [Fact]
    public void RenderWithSpans_TrimmedContent_SpanStartsAfterWhitespace()
    {
        var t = ChatTemplate.Parse("[{{ messages[0].content | trim }}]");
        var r = t.RenderWithSpans(new ChatTemplateContext { Messages = JsonNode.Parse("""[{"role":"user","content":"  héllo 🌍 "}]""") });
        Assert.Equal("[héllo 🌍]", r.Text);
        var span = Assert.Single(r.Spans);
        Assert.Equal((0, -1, 2, 1, "héllo 🌍".Length), (span.MessageIndex, span.PartIndex, span.ContentUtf16Start, span.Utf16Start, span.Utf16Length));
    }

    [Fact]
    public void RenderWithSpans_MacroAndBlockSet_SpansSurviveCapture()
    {
        var t = ChatTemplate.Parse(
            "{% macro show(m) %}<{{ m.content }}>{% endmacro %}{% set body %}{{ show(messages[0]) }}{% endset %}X{{ body }}|{{ messages[1].content.split(' ')[0] }}");
        var r = t.RenderWithSpans(new ChatTemplateContext { Messages = JsonNode.Parse("""[{"role":"user","content":"abc"},{"role":"user","content":"de f"}]""") });
        Assert.Equal("X<abc>|de", r.Text);
        var span = Assert.Single(r.Spans); // split() output is not verbatim provenance
        Assert.Equal((0, 2, 3), (span.MessageIndex, span.Utf16Start, span.Utf16Length));
    }

    [Fact]
    public void RenderWithSpans_TextParts_ReportPartIndex()
    {
        var t = ChatTemplate.Parse("{% for p in messages[0].content %}{{ p.text }};{% endfor %}");
        var r = t.RenderWithSpans(new ChatTemplateContext
        {
            Messages = JsonNode.Parse("""[{"role":"user","content":[{"type":"text","text":"one"},{"type":"image"},{"type":"text","text":"two"}]}]"""),
        });
        Assert.Equal("one;;two;", r.Text);
        Assert.Equal([(0, 0, 0), (0, 2, 5)], r.Spans.Select(s => (s.MessageIndex, s.PartIndex, s.Utf16Start)).ToArray());
    }
}
