namespace SteerServer.Steering.Spans;

/// <summary>
/// Character range → token range, using the tokenizer's per-token code-point offsets
/// (<c>[start, end)</c>; special tokens added by the tokenizer, such as BOS, are <c>(0, 0)</c>).
/// </summary>
public static class SpanMapper
{
    /// <summary>
    /// Maps <c>[charStart, charEnd)</c> (code points) to the tokens that cover it, or null when the
    /// range cannot be mapped (empty, or an end not covered by any token).
    /// Half-open rule (API.md): the first token with start ≤ cs &lt; end, through the first token with
    /// start &lt; ce ≤ end; a partly covered token counts whole. Tokens right after that end token that
    /// still start before ce (the other byte-fallback pieces of the same character, which share its
    /// offsets) are included too, so a character is never split.
    /// </summary>
    public static TokenRange? Map(IReadOnlyList<(int Start, int End)> tokenOffsets, int charStart, int charEnd,
                                  SpanBoundaryRule rule = SpanBoundaryRule.HalfOpen)
    {
        if (charEnd <= charStart && rule == SpanBoundaryRule.HalfOpen) return null;
        int n = tokenOffsets.Count;
        int first = -1;
        for (int t = 0; t < n; t++)
        {
            var (s, e) = tokenOffsets[t];
            if (rule == SpanBoundaryRule.HalfOpen ? s <= charStart && charStart < e : s <= charStart && charStart <= e)
            {
                first = t;
                break;
            }
        }
        if (first < 0) return null;
        int last = -1;
        for (int t = rule == SpanBoundaryRule.HalfOpen ? first : 0; t < n; t++)
        {
            var (s, e) = tokenOffsets[t];
            if (rule == SpanBoundaryRule.HalfOpen ? s < charEnd && charEnd <= e : s <= charEnd && charEnd <= e)
            {
                last = t;
                break;
            }
        }
        if (last < first) return null;
        if (rule == SpanBoundaryRule.HalfOpen)
            while (last + 1 < n && tokenOffsets[last + 1].Start < charEnd && tokenOffsets[last + 1].End > tokenOffsets[last + 1].Start)
                last++;
        return new TokenRange(first, last + 1);
    }
}
