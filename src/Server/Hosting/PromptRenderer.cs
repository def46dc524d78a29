using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Templates;
using SteerServer.Models.Tokenization;
using SteerServer.Server.Validation;
using SteerServer.Steering.Spans;

namespace SteerServer.Server.Hosting;

/// <summary>
/// Messages → prompt text through the model's chat template (with the provenance of every piece of message
/// content, so steering spans are found only in contents), and text → token ids with code-point offsets.
/// The one place the server touches the template and tokenizer APIs.
/// </summary>
public sealed class PromptRenderer
{
    private readonly Tokenizer tokenizer;
    private readonly ChatPrompt chat;

    private PromptRenderer(Tokenizer tokenizer, ChatPrompt chat)
    {
        this.tokenizer = tokenizer;
        this.chat = chat;
    }

    public static PromptRenderer Load(string modelDir, Tokenizer tokenizer) => new(tokenizer, ChatPrompt.Load(modelDir));

    /// <summary>True when the model has no chat template and the plain format (contents joined by blank lines) is used.</summary>
    public bool IsPlain => chat.IsPlain;

    /// <param name="contents">per message, the content to render (GUIDE tags already removed)</param>
    public string Render(IReadOnlyList<PromptMessage> messages, IReadOnlyList<string?> contents,
        IReadOnlyDictionary<string, JsonElement>? kwargs, bool addGenerationPrompt = true) =>
        chat.Render(Context(messages, contents, kwargs, addGenerationPrompt));

    /// <summary>The rendering and, per piece of content copied verbatim, where it landed (for span location).</summary>
    public (string Text, IReadOnlyList<ContentRun> Runs) RenderWithContentRuns(IReadOnlyList<PromptMessage> messages,
        IReadOnlyList<string?> contents, IReadOnlyDictionary<string, JsonElement>? kwargs)
    {
        var rendered = chat.RenderWithSpans(Context(messages, contents, kwargs, addGenerationPrompt: true));
        return (rendered.Text, [.. rendered.Spans.Select(s => new ContentRun(s.MessageIndex, s.PartIndex, s.ContentUtf16Start, s.Utf16Start, s.Utf16Length))]);
    }

    /// <summary>
    /// A rendered chat prompt. A real template writes BOS and other special tokens itself, so they are not added
    /// again (as transformers' apply_chat_template); the plain format has none and gets the tokenizer's usual BOS.
    /// </summary>
    public PromptEncoding Encode(string renderedChat) => EncodeText(renderedChat, addSpecialTokens: chat.IsPlain);

    /// <summary>Raw text (completions, /tokenize): special tokens as the tokenizer's post-processor adds them.</summary>
    public PromptEncoding EncodeText(string text, bool addSpecialTokens = true)
    {
        var e = tokenizer.Encode(text, addSpecialTokens);
        return new PromptEncoding([.. e.Ids], e.Offsets);
    }

    private ChatTemplateContext Context(IReadOnlyList<PromptMessage> messages, IReadOnlyList<string?> contents,
        IReadOnlyDictionary<string, JsonElement>? kwargs, bool addGenerationPrompt)
    {
        var list = new List<Dictionary<string, object?>>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            var d = new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = contents[i] };
            if (m.Name is not null) d["name"] = m.Name;
            if (m.ToolCalls is { } calls) d["tool_calls"] = JsonNode.Parse(calls.GetRawText());
            if (m.ToolCallId is not null) d["tool_call_id"] = m.ToolCallId;
            list.Add(d);
        }
        var extra = kwargs?.ToDictionary(kv => kv.Key, kv => (object?)JsonNode.Parse(kv.Value.GetRawText()));
        return chat.CreateContext(list, tools: null, addGenerationPrompt, extra);
    }
}
