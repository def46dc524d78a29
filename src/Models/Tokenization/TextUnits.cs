namespace SteerServer.Models.Tokenization;

/// <summary>
/// The one place that converts between UTF-16 indices (.NET strings) and Unicode code point
/// indices (the unit of every offset this project reports, as in Hugging Face's tokenizers).
/// A lone surrogate counts as one code point.
/// </summary>
public static class TextUnits
{
    /// <summary>Number of code points in <c>text[..utf16Index]</c>.</summary>
    public static int Utf16ToCodePoint(string text, int utf16Index)
    {
        ArgumentNullException.ThrowIfNull(text);
        if ((uint)utf16Index > (uint)text.Length) throw new ArgumentOutOfRangeException(nameof(utf16Index));
        int cp = 0;
        for (int i = 0; i < utf16Index; i++, cp++)
            if (IsPairAt(text, i) && i + 1 < utf16Index) i++;
        return cp;
    }

    /// <summary>UTF-16 index of code point <paramref name="codePointIndex"/> (the text's length for the end).</summary>
    public static int CodePointToUtf16(string text, int codePointIndex)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (codePointIndex < 0) throw new ArgumentOutOfRangeException(nameof(codePointIndex));
        int i = 0;
        for (int cp = 0; cp < codePointIndex; cp++)
        {
            if (i >= text.Length) throw new ArgumentOutOfRangeException(nameof(codePointIndex), $"text has fewer than {codePointIndex} code points");
            i += IsPairAt(text, i) ? 2 : 1;
        }
        return i;
    }

    /// <summary>Number of code points in <paramref name="text"/>.</summary>
    public static int CodePointCount(string text) => Utf16ToCodePoint(text, text.Length);

    /// <summary>
    /// Table t with t[u] = code point index of UTF-16 index u, for u in [0, text.Length]; null when
    /// the text has no surrogates (then the two units agree).
    /// </summary>
    internal static int[]? CodePointTable(string text)
    {
        int first = -1;
        for (int i = 0; i < text.Length; i++)
            if (char.IsSurrogate(text[i])) { first = i; break; }
        if (first < 0) return null;
        var table = new int[text.Length + 1];
        int cp = 0;
        for (int i = 0; i < text.Length; i++)
        {
            table[i] = cp;
            if (IsPairAt(text, i)) table[++i] = cp;
            cp++;
        }
        table[text.Length] = cp;
        return table;
    }

    /// <summary>True when text[i] and text[i+1] form a surrogate pair.</summary>
    internal static bool IsPairAt(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);

    /// <summary>Length in UTF-16 units of the character starting at <paramref name="i"/>.</summary>
    internal static int CharLength(string text, int i) => IsPairAt(text, i) ? 2 : 1;

    /// <summary>Code point at <paramref name="i"/> (a lone surrogate is returned as itself).</summary>
    internal static int CodePointAt(string text, int i) =>
        IsPairAt(text, i) ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];

    /// <summary>UTF-8 length of the character starting at <paramref name="i"/> (lone surrogates encode as U+FFFD).</summary>
    internal static int Utf8Length(string text, int i)
    {
        char c = text[i];
        if (c < 0x80) return 1;
        if (c < 0x800) return 2;
        return IsPairAt(text, i) ? 4 : 3;
    }
}
