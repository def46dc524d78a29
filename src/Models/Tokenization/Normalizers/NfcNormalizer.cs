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
                var normalized = UnicodeNfc.Normalize(segment);
                if (!SameSequence(normalized, segment))
                {
                    b ??= new NormalizedText.Builder(text.Length + 8);
                    b.AppendFrom(input, copied, pos);
                    AppendAligned(b, input, normalized, units, next);
                    copied = next;
                }
            }
            pos = next;
        }
        if (b == null) return input;
        b.AppendFrom(input, copied, text.Length);
        return b.Build();
    }

    private static bool SameSequence(List<int> a, List<int> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++) if (a[i] != b[i]) return false;
        return true;
    }

    private static void AppendAligned(NormalizedText.Builder b, NormalizedText input, List<int> normalized, List<int> units, int segmentEnd)
    {
        int m = units.Count, p = normalized.Count;
        for (int i = 0; i < p; i++)
        {
            // Which original character this output character is aligned with.
            int source = p <= m ? (i == 0 ? 0 : i + (m - p)) : Math.Max(0, i - (p - m));
            var (s, e) = input.CharRange(units[source]);
            int cp = normalized[i];
            if (cp >= 0x10000)
            {
                var str = char.ConvertFromUtf32(cp);
                b.Append(str, s, e);
            }
            else b.Append((char)cp, s, e);
        }
        _ = segmentEnd;
    }
}
