using System.Text;
using SteerServer.Models.Errors;

namespace SteerServer.Steering.Guide;

/// <summary>
/// Finds and removes GUIDE tags: <c>&lt;!-&gt; &lt;-!&gt;</c>, <c>&lt;!!-&gt; &lt;-!!&gt;</c>,
/// <c>&lt;!!!-&gt; &lt;-!!!&gt;</c>, <c>&lt;?-&gt; &lt;-?&gt;</c>. Unlike the reference pipeline (first message,
/// one span, one line), tags are found in every message, may repeat, may span lines and may nest (nested
/// spans add their offsets). A tag that is opened and never closed, or closed without being opened (or
/// closed out of order), is a 400 naming the message. Runs before the chat template is applied.
/// </summary>
public static class GuideTags
{
    private static readonly (string Tag, GuideLevel Level)[] Opens =
        [("<!!!->", GuideLevel.High), ("<!!->", GuideLevel.Mid), ("<!->", GuideLevel.Low), ("<?->", GuideLevel.Influence)];

    private static readonly (string Tag, GuideLevel Level)[] Closes =
        [("<-!!!>", GuideLevel.High), ("<-!!>", GuideLevel.Mid), ("<-!>", GuideLevel.Low), ("<-?>", GuideLevel.Influence)];

    /// <summary>The opening tag of a level, e.g. <c>&lt;!!-&gt;</c>.</summary>
    public static string OpenTag(GuideLevel level) => Opens.First(o => o.Level == level).Tag;

    /// <summary>The closing tag of a level, e.g. <c>&lt;-!!&gt;</c>.</summary>
    public static string CloseTag(GuideLevel level) => Closes.First(c => c.Level == level).Tag;

    /// <summary>Extracts the tags of every message; errors name <c>messages[i].content</c>.</summary>
    public static GuideExtraction Extract(IReadOnlyList<string?> contents) =>
        Extract(contents, i => $"messages[{i}].content");

    /// <summary>Extracts the tags of every message; <paramref name="paramOf"/> names message i in errors.</summary>
    public static GuideExtraction Extract(IReadOnlyList<string?> contents, Func<int, string> paramOf)
    {
        var cleaned = new string?[contents.Count];
        var spans = new List<GuideSpan>();
        for (int m = 0; m < contents.Count; m++)
        {
            if (contents[m] is not { } content) continue;
            cleaned[m] = ExtractOne(content, m, paramOf(m), spans);
        }
        return new GuideExtraction(cleaned, spans);
    }

    /// <summary>
    /// Removes the tags of one content (or one text part, <paramref name="partIndex"/> ≥ 0, for array contents);
    /// appends its spans to <paramref name="spans"/>; returns the cleaned text. <paramref name="param"/> names it in errors.
    /// </summary>
    public static string ExtractOne(string content, int messageIndex, string param, List<GuideSpan> spans, int partIndex = -1)
    {
        if (content.IndexOf('<') < 0) return content;
        var sb = new StringBuilder(content.Length);
        var open = new Stack<(GuideLevel Level, int CleanStart, int RawAt)>();
        var found = new List<GuideSpan>();
        bool anyTag = false;
        int i = 0;
        while (i < content.Length)
        {
            if (content[i] == '<')
            {
                if (Match(content, i, Opens) is { } o)
                {
                    anyTag = true;
                    open.Push((o.Level, sb.Length, i));
                    i += o.Tag.Length;
                    continue;
                }
                if (Match(content, i, Closes) is { } c)
                {
                    if (open.Count == 0)
                        throw Error(param, $"the GUIDE closing tag '{c.Tag}' at character {i} has no opening tag '{OpenTag(c.Level)}'.");
                    var top = open.Pop();
                    if (top.Level != c.Level)
                        throw Error(param, $"the GUIDE tag '{OpenTag(top.Level)}' opened at character {top.RawAt} is closed by '{c.Tag}' at character {i}; expected '{CloseTag(top.Level)}'.");
                    AddSpan(sb, top.CleanStart, top.Level, messageIndex, partIndex, found);
                    i += c.Tag.Length;
                    continue;
                }
            }
            sb.Append(content[i]);
            i++;
        }
        if (open.Count > 0)
        {
            var (level, _, rawAt) = open.Peek();
            throw Error(param, $"the GUIDE tag '{OpenTag(level)}' opened at character {rawAt} is never closed with '{CloseTag(level)}'.");
        }
        if (!anyTag) return content;
        found.Sort((a, b) => a.Utf16Start != b.Utf16Start ? a.Utf16Start.CompareTo(b.Utf16Start) : b.Utf16End.CompareTo(a.Utf16End));
        spans.AddRange(found);
        return sb.ToString();
    }

    private static void AddSpan(StringBuilder sb, int start, GuideLevel level, int messageIndex, int partIndex, List<GuideSpan> found)
    {
        int end = sb.Length;
        // GUIDE strips the whitespace just inside the tags from the span (its raw = inner.strip()).
        while (start < end && char.IsWhiteSpace(sb[start])) start++;
        while (end > start && char.IsWhiteSpace(sb[end - 1])) end--;
        if (end == start) return; // an empty tagged span steers nothing (edge case E3, as GUIDE)
        found.Add(new GuideSpan(messageIndex, level, start, end, sb.ToString(start, end - start), partIndex));
    }

    private static (string Tag, GuideLevel Level)? Match(string s, int at, (string Tag, GuideLevel Level)[] tags)
    {
        foreach (var t in tags)
            if (s.AsSpan(at).StartsWith(t.Tag, StringComparison.Ordinal)) return t;
        return null;
    }

    private static SteerException Error(string param, string problem) =>
        SteerException.InvalidRequest($"Invalid '{param}': {problem}", param);
}
