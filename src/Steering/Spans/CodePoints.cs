namespace SteerServer.Steering.Spans;

/// <summary>
/// UTF-16 ↔ code-point index conversion. Token offsets count Unicode code points (as Python and
/// Hugging Face tokenizers do); .NET strings count UTF-16 units, so an emoji is 1 vs 2.
/// </summary>
public static class CodePoints
{
    /// <summary>Number of code points in <c>text[0..utf16Index)</c>. A lone surrogate counts as one.</summary>
    public static int FromUtf16(string text, int utf16Index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)utf16Index, (uint)text.Length, nameof(utf16Index));
        int count = 0;
        for (int i = 0; i < utf16Index; i++, count++)
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) && i + 1 < utf16Index)
                i++;
        return count;
    }

    /// <summary>The UTF-16 index of code point <paramref name="codePointIndex"/> (may equal the text's end).</summary>
    public static int ToUtf16(string text, int codePointIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(codePointIndex);
        int i = 0;
        for (int cp = 0; cp < codePointIndex; cp++)
        {
            if (i >= text.Length) throw new ArgumentOutOfRangeException(nameof(codePointIndex));
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        }
        return i;
    }
}
