using SteerServer.Models.Templates;

namespace SteerServer.Steering.Spans;

/// <summary>
/// The prompt as the model sees it: the rendered text, the code-point offsets of its tokens (one pair per
/// token id; BOS and other added tokens <c>(0, 0)</c>), and the runs of the text that are message content,
/// so that substrings and GUIDE spans are only ever found inside message contents.
/// </summary>
public sealed class TokenizedPrompt
{
    /// <param name="text">the exact string that was tokenized</param>
    /// <param name="tokenOffsets">code-point <c>[start, end)</c> per token (the tokenizer's <c>Encoding.Offsets</c>)</param>
    /// <param name="contentRuns">where message content lies in <paramref name="text"/></param>
    /// <param name="tokenStrings">the tokenizer's token strings (<c>Encoding.Tokens</c>, what the CLI prints); empty when not kept</param>
    public TokenizedPrompt(string text, IReadOnlyList<(int Start, int End)> tokenOffsets, IReadOnlyList<ContentRun> contentRuns,
        IReadOnlyList<string>? tokenStrings = null)
    {
        Text = text;
        TokenOffsets = tokenOffsets;
        TokenStrings = tokenStrings ?? [];
        foreach (var r in contentRuns)
            if (r.Utf16Start < 0 || r.Utf16Length < 0 || r.Utf16End > text.Length || r.ContentUtf16Start < 0)
                throw new ArgumentOutOfRangeException(nameof(contentRuns), $"content run [{r.Utf16Start}, {r.Utf16End}) outside the text of length {text.Length}");
        // Search order: messages in order, then parts, then position in the content, then position in the text.
        ContentRuns = [.. contentRuns.OrderBy(r => r.MessageIndex).ThenBy(r => r.PartIndex).ThenBy(r => r.ContentUtf16Start).ThenBy(r => r.Utf16Start)];
    }

    public string Text { get; }

    public IReadOnlyList<(int Start, int End)> TokenOffsets { get; }

    /// <summary>The token strings as the tokenizer produced them (BOS as its template writes it, not the vocabulary's form).</summary>
    public IReadOnlyList<string> TokenStrings { get; }

    /// <summary>Number of prompt tokens, L_in.</summary>
    public int TokenCount => TokenOffsets.Count;

    /// <summary>Content runs in search order (message, part, content position).</summary>
    public IReadOnlyList<ContentRun> ContentRuns { get; }

    /// <summary>A raw prompt (completions, the CLI without a template): the whole text is message 0's content.</summary>
    public static TokenizedPrompt ForText(string text, IReadOnlyList<(int Start, int End)> tokenOffsets, IReadOnlyList<string>? tokenStrings = null) =>
        new(text, tokenOffsets, [new ContentRun(0, -1, 0, 0, text.Length)], tokenStrings);

    /// <summary>A chat prompt rendered with the template engine's provenance (<c>ChatPrompt.RenderWithSpans</c>): exact content runs.</summary>
    public static TokenizedPrompt FromTemplate(RenderedPrompt rendered, IReadOnlyList<(int Start, int End)> tokenOffsets, IReadOnlyList<string>? tokenStrings = null) =>
        new(rendered.Text, tokenOffsets, [.. rendered.Spans.Select(s => new ContentRun(s.MessageIndex, s.PartIndex, s.ContentUtf16Start, s.Utf16Start, s.Utf16Length))], tokenStrings);
}
