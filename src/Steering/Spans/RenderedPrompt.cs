namespace SteerServer.Steering.Spans;

/// <summary>
/// The prompt as the model sees it: the rendered text, the code-point offsets of its tokens (one pair per
/// token id, BOS and other added tokens <c>(0, 0)</c>), and where each message's content lies in the
/// text, so that substrings and GUIDE spans are only ever found inside message contents.
/// </summary>
public sealed class RenderedPrompt
{
    /// <param name="text">the exact string that was tokenized</param>
    /// <param name="tokenOffsets">code-point <c>[start, end)</c> per token</param>
    /// <param name="messageContents">UTF-16 range of each message's content in <paramref name="text"/>, by message index; null = not present in the text</param>
    public RenderedPrompt(string text, IReadOnlyList<(int Start, int End)> tokenOffsets, IReadOnlyList<ContentLocation?> messageContents)
    {
        Text = text;
        TokenOffsets = tokenOffsets;
        MessageContents = messageContents;
        foreach (var r in messageContents)
            if (r is { } range && (range.Utf16Start < 0 || range.Utf16End > text.Length || range.Utf16End < range.Utf16Start || range.ContentOffset < 0))
                throw new ArgumentOutOfRangeException(nameof(messageContents), $"content range [{range.Utf16Start}, {range.Utf16End}) outside the text of length {text.Length}");
    }

    public string Text { get; }

    public IReadOnlyList<(int Start, int End)> TokenOffsets { get; }

    /// <summary>Number of prompt tokens, L_in.</summary>
    public int TokenCount => TokenOffsets.Count;

    public IReadOnlyList<ContentLocation?> MessageContents { get; }

    /// <summary>A raw prompt (completions, the CLI without a template): the whole text is one content.</summary>
    public static RenderedPrompt ForText(string text, IReadOnlyList<(int Start, int End)> tokenOffsets) =>
        new(text, tokenOffsets, [new ContentLocation(0, text.Length)]);

    /// <summary>
    /// A chat prompt. Content ranges come from <paramref name="markedText"/> (see <see cref="ContentMarkers"/>)
    /// when given and consistent; otherwise each content is searched in order in the text, starting after the
    /// previous message's match (verbatim first, then trimmed, for templates that trim).
    /// </summary>
    public static RenderedPrompt ForMessages(string text, IReadOnlyList<(int Start, int End)> tokenOffsets,
                                             IReadOnlyList<string?> contents, string? markedText = null)
    {
        if (markedText is not null && ContentMarkers.Locate(text, markedText, contents.Count) is { } exact)
            return new RenderedPrompt(text, tokenOffsets, [.. exact.Select(r => r is { } x ? new ContentLocation(x.Utf16Start, x.Utf16End) : (ContentLocation?)null)]);
        return new RenderedPrompt(text, tokenOffsets, SearchInOrder(text, contents));
    }

    private static ContentLocation?[] SearchInOrder(string text, IReadOnlyList<string?> contents)
    {
        var ranges = new ContentLocation?[contents.Count];
        int cursor = 0;
        for (int m = 0; m < contents.Count; m++)
        {
            string? content = contents[m];
            if (string.IsNullOrEmpty(content)) continue;
            int at = text.IndexOf(content, cursor, StringComparison.Ordinal);
            if (at >= 0)
            {
                ranges[m] = new ContentLocation(at, at + content.Length);
                cursor = at + content.Length;
                continue;
            }
            string trimmed = content.Trim();
            if (trimmed.Length == 0) continue;
            at = text.IndexOf(trimmed, cursor, StringComparison.Ordinal);
            if (at < 0) continue;
            int lead = content.Length - content.TrimStart().Length;
            ranges[m] = new ContentLocation(at, at + trimmed.Length, lead);
            cursor = at + trimmed.Length;
        }
        return ranges;
    }
}
