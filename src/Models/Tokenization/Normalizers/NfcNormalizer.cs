namespace SteerServer.Models.Tokenization.Normalizers;

/// <summary>
/// <c>{"type":"NFC"}</c>. Works per normalization segment (a starter and the characters that may
/// combine with it). Alignment follows the Rust library's <c>transform</c> of the
/// <c>unicode-normalization-alignments</c> output: a composed character is aligned with the first
/// original character of what it absorbed, the following characters of the segment keep their
/// positional alignment, and extra characters from an expansion share the range of the character
/// they came from.
/// </summary>
internal sealed class NfcNormalizer : INormalizer
{
    public NormalizedText Normalize(NormalizedText input)
    {
        var text = input.Text;
        int firstCandidate = -1;
        for (int i = 0; i < text.Length; i++)
            if (text[i] >= '\u0300') { firstCandidate = i; break; }
        if (firstCandidate < 0) return input; // below U+0300 everything is already NFC

        NormalizedText.Builder? b = null;
        int copied = 0;                       // units of input already handed to the builder
        var segment = new List<int>(8);       // code points of the current segment
        var units = new List<int>(8);         // unit index of each code point
        int pos = 0;
        while (pos < text.Length)
        {
            // Fast path: an inert character (e.g. ASCII, CJK) followed by another is a whole, unchanged segment.
            if (UnicodeNfc.IsInert(text[pos]) && (pos + 1 == text.Length || UnicodeNfc.IsInert(text[pos + 1]))) { pos++; continue; }
            // Collect one segment: a segment start, then everything that may combine with it.
            segment.Clear();
            units.Clear();
            int cp = TextUnits.CodePointAt(text, pos);
            segment.Add(cp); units.Add(pos);
            int next = pos + TextUnits.CharLength(text, pos);
            while (next < text.Length)
            {
                int c = TextUnits.CodePointAt(text, next);
                if (UnicodeNfc.IsSegmentStart(c)) break;
                segment.Add(c); units.Add(next);
                next += TextUnits.CharLength(text, next);
            }

            if (segment.Count > 1 || UnicodeNfc.MayChange(cp))
            {
                var normalized = UnicodeNfc.NormalizeWithChanges(segment);
                if (!SameSequence(normalized, segment))
                {
                    b ??= new NormalizedText.Builder(text.Length + 8);
                    b.AppendFrom(input, copied, pos);
                    AppendAligned(b, input, normalized, units);
                    copied = next;
                }
            }
            pos = next;
        }
        if (b == null) return input;
        b.AppendFrom(input, copied, text.Length);
        return b.Build();
    }

    private static bool SameSequence(List<(int Cp, int Change)> a, List<int> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++) if (a[i].Cp != b[i]) return false;
        return true;
    }

    // NormalizedString::transform over one segment: a character with change <= 0 takes the
    // alignment of the next input character and consumes it (plus -change more); an inserted one
    // (+1) repeats the alignment of the last consumed input character.
    private static void AppendAligned(NormalizedText.Builder b, NormalizedText input, List<(int Cp, int Change)> normalized, List<int> units)
    {
        int next = 0; // next unconsumed input character of the segment
        (int Start, int End) last = input.CharRange(units[0]);
        foreach (var (cp, change) in normalized)
        {
            (int Start, int End) range;
            if (change > 0) range = last;
            else
            {
                range = input.CharRange(units[Math.Min(next, units.Count - 1)]);
                next += 1 - change;
                last = input.CharRange(units[Math.Min(next - 1, units.Count - 1)]);
            }
            if (cp >= 0x10000) b.Append(char.ConvertFromUtf32(cp), range.Start, range.End);
            else b.Append((char)cp, range.Start, range.End);
        }
    }
}
