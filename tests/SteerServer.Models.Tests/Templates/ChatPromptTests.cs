using System.Text.Json.Nodes;
using SteerServer.Models.Templates;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Templates;

/// <summary><see cref="ChatPrompt.Load"/> on the model and tokenizer folders of shared/testdata.</summary>
public class ChatPromptTests
{
    private static readonly JsonNode Conversation = JsonNode.Parse("""
        [{"role":"system","content":"Be brief."},{"role":"user","content":"Once upon a time"}]
        """)!;

    [Fact]
    public void Load_Qwen25TokenizerConfig_RendersLikeGolden()
    {
        var prompt = ChatPrompt.Load(TestDataPaths.File("tokenizers", "qwen2.5"));
        Assert.False(prompt.IsPlain);
        Assert.Equal("<|im_end|>", prompt.EosToken);
        var golden = File.ReadAllText(TestDataPaths.File("chat-templates", "templates", "qwen2.5-instruct.jinja"));
        Assert.Equal(golden, prompt.Template.Source);
        var text = prompt.Render(prompt.CreateContext(Conversation));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nOnce upon a time<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Load_AddedTokenObjects_ReadContent()
    {
        var prompt = ChatPrompt.Load(TestDataPaths.File("tokenizers", "llama2"));
        Assert.Equal("<s>", prompt.BosToken);
        Assert.Equal("</s>", prompt.EosToken);
    }

    [Fact]
    public void Load_OtherSpecialTokens_PassedToTemplate()
    {
        var prompt = ChatPrompt.Load(TestDataPaths.File("tokenizers", "llama2"));
        Assert.Equal("<unk>", prompt.OtherSpecialTokens["unk_token"]);
        var t = ChatTemplate.Parse("{{ unk_token }}|{{ bos_token }}");
        Assert.Equal("<unk>|<s>", t.Render(prompt.CreateContext(Conversation)));
    }

    private sealed record Message(string role, string content);

    [Fact]
    public void Render_MessagesAsRecords_PassedThroughTheirJsonForm()
    {
        var prompt = ChatPrompt.FromTemplate("{% for m in messages %}{{ m.role }}:{{ m['content'] }};{% endfor %}");
        Assert.Equal("user:hi;", prompt.Render(prompt.CreateContext(new[] { new Message("user", "hi") })));
    }

    [Fact]
    public void Load_Stories260K_NoTemplate_UsesPlainFormat()
    {
        var prompt = ChatPrompt.Load(TestDataPaths.Models("stories260K"));
        Assert.True(prompt.IsPlain);
        Assert.Equal("Be brief.\n\nOnce upon a time", prompt.Render(prompt.CreateContext(Conversation)));
        var single = JsonNode.Parse("""[{"role":"user","content":"Once upon a time"}]""");
        var rendered = prompt.RenderWithSpans(prompt.CreateContext(single));
        Assert.Equal("Once upon a time", rendered.Text);
        Assert.Equal(new ContentSpan(0, -1, 0, 0, 16), Assert.Single(rendered.Spans));
    }

    [Fact]
    public void Load_NamedTemplateList_PicksToolUseWhenToolsGiven()
    {
        var dir = Directory.CreateTempSubdirectory("steer-template-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>",
                 "chat_template": [{"name": "default", "template": "D{{ bos_token }}"}, {"name": "tool_use", "template": "T{{ tools | length }}"}]}
                """);
            var prompt = ChatPrompt.Load(dir.FullName);
            Assert.Equal("D<s>", prompt.Render(prompt.CreateContext(Conversation)));
            Assert.Equal("T1", prompt.Render(prompt.CreateContext(Conversation, tools: JsonNode.Parse("""[{"type":"function"}]"""))));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
