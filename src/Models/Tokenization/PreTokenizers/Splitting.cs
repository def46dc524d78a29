namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary>
/// <c>NormalizedString::split</c>: turns a list of (start, end, isMatch) ranges covering a piece
/// into sub-pieces according to a <see cref="SplitBehavior"/>.
/// </summary>
internal static class Splitting
{
    /// <summary>Ranges that cover <c>[0, length)</c>: every match and every gap between matches.</summary>
    public static List<(int Start, int End, bool IsMatch)> Cover(List<(int Start, int End)> matches, int length)
    {
        var all = new List<(int, int, bool)>(matches.Count * 2 + 1);
        int prev = 0;
        foreach (var (s, e) in matches)
        {
            if (e == s) continue; // an empty match would give an empty piece, which is dropped anyway
            if (prev != s) all.Add((prev, s, false));
            all.Add((s, e, true));
            prev = e;
        }
        if (prev != length) all.Add((prev, length, false));
        return all;
    }

    /// <summary>Isolated, not inverted (the common case): every match and every gap is a piece.</summary>
    public static void Isolated(NormalizedText piece, List<(int Start, int End)> matches, List<NormalizedText> output)
    {
        int prev = 0;
        foreach (var (s, e) in matches)
        {
            if (e == s) continue;
            if (prev != s) output.Add(piece.Slice(prev, s));
            output.Add(piece.Slice(s, e));
            prev = e;
        }
        if (prev != piece.Length) output.Add(piece.Slice(prev, piece.Length));
    }

    public static void Apply(NormalizedText piece, List<(int Start, int End, bool IsMatch)> ranges, SplitBehavior behavior, bool invert, List<NormalizedText> output)
    {
        if (invert)
            for (int i = 0; i < ranges.Count; i++) ranges[i] = (ranges[i].Start, ranges[i].End, !ranges[i].IsMatch);

        var kept = new List<(int Start, int End, bool Remove)>(ranges.Count);
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var (s, e, _) in ranges) kept.Add((s, e, false));
                break;
            case SplitBehavior.Removed:
                foreach (var (s, e, m) in ranges) kept.Add((s, e, m));
                break;
            case SplitBehavior.Contiguous:
                foreach (var (s, e, m) in ranges)
                {
                    if (m == previousMatch && kept.Count > 0) kept[^1] = (kept[^1].Start, e, false);
                    else kept.Add((s, e, false));
                    previousMatch = m;
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var (s, e, m) in ranges)
                {
                    if (m && !previousMatch && kept.Count > 0) kept[^1] = (kept[^1].Start, e, false);
                    else kept.Add((s, e, false));
                    previousMatch = m;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (int i = ranges.Count - 1; i >= 0; i--)
                {
                    var (s, e, m) = ranges[i];
                    if (m && !previousMatch && kept.Count > 0) kept[^1] = (s, kept[^1].End, false);
                    else kept.Add((s, e, false));
                    previousMatch = m;
                }
                kept.Reverse();
                break;
        }
        foreach (var (s, e, remove) in kept)
            if (!remove && e > s) output.Add(piece.Slice(s, e));
    }
}
