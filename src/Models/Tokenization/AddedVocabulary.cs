namespace SteerServer.Models.Tokenization;

/// <summary>
/// Finds added tokens in text, like <c>AddedVocabulary::find_matches</c> of the Rust library:
/// leftmost-longest matching, then the single_word / lstrip / rstrip rules.
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly Dictionary<char, (string Pattern, AddedToken Token)[]> byFirstChar = [];
    private readonly bool[] isFirstChar = new bool[char.MaxValue + 1]; // quick filter before the dictionary

    public AddedVocabulary(IEnumerable<(string Pattern, AddedToken Token)> patterns)
    {
        foreach (var g in patterns.Where(p => p.Pattern.Length > 0).GroupBy(p => p.Pattern[0]))
        {
            byFirstChar[g.Key] = [.. g.OrderByDescending(p => p.Pattern.Length)];
            isFirstChar[g.Key] = true;
        }
    }

    public bool IsEmpty => byFirstChar.Count == 0;

    /// <summary>Splits <paramref name="text"/> into pieces: (token or null, start, end) in UTF-16 units, covering the text.</summary>
    public void FindMatches(string text, List<(AddedToken? Token, int Start, int End)> splits)
    {
        splits.Clear();
        if (text.Length == 0 || IsEmpty)
        {
            splits.Add((null, 0, text.Length));
            return;
        }
        int startOffset = 0;
        int i = 0;
        while (i < text.Length)
        {
            if (!TryMatchAt(text, i, out var pattern, out var token)) { i++; continue; }
            int start = i, stop = i + pattern.Length;
            i = stop; // the matcher continues after the raw match, whatever strip does
            if (token.SingleWord)
            {
                bool startSpace = start == 0 || !IsWordChar(text, start, before: true);
                bool stopSpace = stop == text.Length || !IsWordChar(text, stop, before: false);
                if (!startSpace || !stopSpace) continue;
            }
            if (token.LStrip)
            {
                int s = start;
                while (s > 0 && char.IsWhiteSpace(text[s - 1])) s--;
                start = Math.Max(s, startOffset);
            }
            if (token.RStrip)
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            if (startOffset < start) splits.Add((null, startOffset, start));
            splits.Add((token, start, stop));
            startOffset = stop;
        }
        if (startOffset != text.Length) splits.Add((null, startOffset, text.Length));
    }

    private bool TryMatchAt(string text, int i, out string pattern, out AddedToken token)
    {
        if (isFirstChar[text[i]] && byFirstChar.TryGetValue(text[i], out var candidates))
            foreach (var (p, t) in candidates) // longest first
                if (p.Length <= text.Length - i && string.CompareOrdinal(text, i, p, 0, p.Length) == 0)
                {
                    pattern = p;
                    token = t;
                    return true;
                }
        pattern = "";
        token = null!;
        return false;
    }

    // Rust: is_word_character = alphanumeric or '_' (on the char before start / after stop).
    private static bool IsWordChar(string text, int at, bool before)
    {
        int cp;
        if (before)
        {
            int i = at - 1;
            if (char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1])) i--;
            cp = TextUnits.CodePointAt(text, i);
        }
        else cp = TextUnits.CodePointAt(text, at);
        if (cp == '_') return true;
        var cat = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat is >= System.Globalization.UnicodeCategory.UppercaseLetter and <= System.Globalization.UnicodeCategory.OtherLetter
            or System.Globalization.UnicodeCategory.DecimalDigitNumber or System.Globalization.UnicodeCategory.LetterNumber or System.Globalization.UnicodeCategory.OtherNumber;
    }
}
