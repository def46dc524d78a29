namespace SteerServer.Models.Templates;

/// <summary>
/// A rendered prompt and where message content landed in it. Content that a template transformed (split,
/// replaced, sliced, JSON-encoded) has no span; trimmed content keeps a span for what remains.
/// </summary>
public sealed record RenderedPrompt(string Text, IReadOnlyList<ContentSpan> Spans)
{
    /// <summary>The spans of one message, in output order.</summary>
    public IEnumerable<ContentSpan> SpansOf(int messageIndex) => Spans.Where(s => s.MessageIndex == messageIndex);
}
