using SteerServer.Models.Templates;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Spans;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests;

/// <summary>
/// A real chat template (Qwen2.5) and tokenizer: substrings and GUIDE spans land in message contents, never in
/// the template's markup (whose role header also says "user"), and cover exactly their text's tokens.
/// </summary>
public class ChatTemplateSpanTests
{
    [Theory]
    [InlineData("qwen2.5-instruct.jinja", "qwen2.5")]
    [InlineData("llama-3.1-8b-instruct.jinja", "llama3.1")]
    [InlineData("chatml.jinja", "qwen2.5")]
    public void ChatPrompt_SubstringAndGuideSpans_InContentOnly(string templateFile, string tokenizerDir)
    {
        var template = ChatTemplate.Parse(File.ReadAllText(TestDataPaths.File("chat-templates", "templates", templateFile)));
        var tokenizer = Tokenizer.Load(TestDataPaths.File("tokenizers", tokenizerDir));
        string?[] raw = ["You are a careful user helper.", "Describe the <!!->login form<-!!> for a user.\nBe brief."];
        var guide = GuideTags.Extract(raw);
        var messages = new List<Dictionary<string, object?>>
        {
            new() { ["role"] = "system", ["content"] = guide.Contents[0] },
            new() { ["role"] = "user", ["content"] = guide.Contents[1] },
        };
        var rendered = template.RenderWithSpans(new ChatTemplateContext
        {
            Messages = messages, AddGenerationPrompt = true, BosToken = tokenizer.BosToken, EosToken = tokenizer.EosToken,
        });
        var encoding = tokenizer.Encode(rendered.Text, addSpecialTokens: false);
        var prompt = TokenizedPrompt.FromTemplate(rendered, encoding.Offsets);
        var request = new SteeringRequest { Substrings = ["user", "Be brief."], HeadConfig = HeadConfig.AllHeadsOf([0]) };
        var plan = SteeringPlanner.Plan(request, prompt, guide.Spans, new SteeringLimits(2, 2));

        string systemContent = guide.Contents[0]!, userContent = guide.Contents[1]!;
        int systemAt = rendered.Text.IndexOf(systemContent, StringComparison.Ordinal);
        int userAt = rendered.Text.IndexOf(userContent, StringComparison.Ordinal);
        (string Text, int Start)[] expected =
        [
            ("user", systemAt + systemContent.IndexOf("user", StringComparison.Ordinal)),     // first occurrence in contents: the system message
            ("Be brief.", userAt + userContent.IndexOf("Be brief.", StringComparison.Ordinal)),
            ("login form", userAt + userContent.IndexOf("login form", StringComparison.Ordinal)),
        ];
        Assert.Equal(expected.Length, plan.Report.Spans.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            var span = plan.Report.Spans[i];
            int cs = TextUnits.Utf16ToCodePoint(rendered.Text, expected[i].Start);
            int ce = TextUnits.Utf16ToCodePoint(rendered.Text, expected[i].Start + expected[i].Text.Length);
            for (int t = 0; t < encoding.Count; t++)
            {
                var (s, e) = encoding.Offsets[t];
                bool overlaps = e > s && s < ce && e > cs;
                Assert.True(overlaps == (span.TokenStart <= t && t < span.TokenEnd), $"{templateFile} span {i} token {t}");
            }
            Assert.Contains(expected[i].Text, tokenizer.Decode(encoding.Ids.Skip(span.TokenStart).Take(span.TokenEnd - span.TokenStart).ToArray()));
        }
    }
}
