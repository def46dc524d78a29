using System.Text.RegularExpressions;

namespace SteerServer.Models.Tokenization.Normalizers;

/// <summary>
/// <c>{"type":"Replace","pattern":{"String"|"Regex":..},"content":..}</c>: replaces every
/// non-overlapping match. As in <c>NormalizedString::replace</c>, the inserted units take the
/// alignment of the last character of the text they replace.
/// </summary>
internal sealed class ReplaceNormalizer(Regex pattern, string content) : INormalizer
{
    public NormalizedText Normalize(NormalizedText input)
    {
        var text = input.Text;
        var m = pattern.Match(text);
        if (!m.Success) return input;
        var b = new NormalizedText.Builder(text.Length + 8);
        int last = 0;
        for (; m.Success; m = m.NextMatch())
        {
            if (m.Length == 0) continue;
            b.AppendFrom(input, last, m.Index);
            int lastUnit = m.Index + m.Length - 1;
            if (char.IsLowSurrogate(text[lastUnit]) && lastUnit > m.Index) lastUnit--;
            var (s, e) = input.CharRange(lastUnit);
            b.Append(content, s, e);
            last = m.Index + m.Length;
        }
        b.AppendFrom(input, last, text.Length);
        return b.Build();
    }
}
