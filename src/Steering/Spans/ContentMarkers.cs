namespace SteerServer.Steering.Spans;

/// <summary>
/// Exact provenance of message contents in a rendered chat template. Render the template a second
/// time with every content wrapped by <see cref="Mark"/>; <see cref="Locate"/> then finds each
/// content's UTF-16 range in the real rendering, provided that the marked rendering with the markers
/// removed equals it (the template did not trim or inspect the contents). Markers are private-use
/// characters: U+E000, U+E100 + message index, content, U+E001.
/// </summary>
public static class ContentMarkers
{
    private const char Open = '\uE000';
    private const char Close = '\uE001';
    private const char IndexBase = '\uE100';

    /// <summary>The largest message index a marker can carry.</summary>
    public const int MaxMessages = 0xF000 - 0xE100;

    public static string Mark(string content, int messageIndex)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)messageIndex, (uint)MaxMessages, nameof(messageIndex));
        return string.Concat(Open.ToString(), ((char)(IndexBase + messageIndex)).ToString(), content, Close.ToString());
    }

    /// <summary>
    /// The content runs of every marked copy (message index below <paramref name="messageCount"/>) in
    /// <paramref name="text"/>, or null when the marked rendering does not match <paramref name="text"/>
    /// (then use <see cref="TokenizedPrompt.ForMessages"/>'s in-order search instead).
    /// </summary>
    public static List<ContentRun>? Locate(string text, string markedText, int messageCount)
    {
        var runs = new List<ContentRun>();
        var stripped = new System.Text.StringBuilder(text.Length);
        var open = new Stack<(int Message, int Start)>();
        for (int i = 0; i < markedText.Length; i++)
        {
            char c = markedText[i];
            if (c == Open && i + 1 < markedText.Length && markedText[i + 1] >= IndexBase && markedText[i + 1] < IndexBase + MaxMessages)
            {
                open.Push((markedText[i + 1] - IndexBase, stripped.Length));
                i++;
            }
            else if (c == Close && open.Count > 0)
            {
                var (message, start) = open.Pop();
                if (message < messageCount)
                    runs.Add(new ContentRun(message, -1, 0, start, stripped.Length - start));
            }
            else stripped.Append(c);
        }
        if (open.Count > 0 || !stripped.Equals(text.AsSpan())) return null;
        return runs;
    }
}
