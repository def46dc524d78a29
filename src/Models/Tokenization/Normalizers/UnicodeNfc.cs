namespace SteerServer.Models.Tokenization.Normalizers;

/// <summary>
/// Canonical decomposition, reordering and composition (UAX #15) over code points, from the
/// tables in <see cref="UnicodeNfcData"/>. Needed because the process runs with
/// InvariantGlobalization, where <c>string.Normalize</c> does nothing.
/// </summary>
internal static class UnicodeNfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, byte> combiningClass = LoadCcc();
    private static readonly Dictionary<int, int[]> decompositions = LoadDecompositions();
    private static readonly Dictionary<long, int> compositions = LoadCompositions(out composesBackward);
    private static readonly HashSet<int> composesBackward; // starters that can be the second half of a composite

    public static int Ccc(int cp) => cp < 0x300 ? 0 : combiningClass.TryGetValue(cp, out var c) ? c : 0;

    /// <summary>True if a normalization segment can start at this character (nothing before it can combine with it).</summary>
    public static bool IsSegmentStart(int cp) =>
        cp < 0x300 || (Ccc(cp) == 0 && !composesBackward.Contains(cp) && !startsWithNonStarter.Contains(cp)
                       && !(cp >= VBase && cp <= 0x1175) && !(cp > TBase && cp <= 0x11C2));

    // Characters of class 0 whose decomposition starts with a non-starter (U+0344, U+0F73, ...):
    // they reorder with the marks around them, so they cannot start a segment.
    private static readonly HashSet<int> startsWithNonStarter = [.. decompositions.Where(kv => Ccc(kv.Value[0]) != 0).Select(kv => kv.Key)];

    /// <summary>
    /// True for a BMP character that starts a segment, cannot combine with anything before it and
    /// does not change on its own: two such characters in a row need no work.
    /// </summary>
    public static bool IsInert(char c) => inert[c];

    private static bool[] BuildInert()
    {
        var table = new bool[char.MaxValue + 1];
        for (int c = 0; c <= char.MaxValue; c++)
            table[c] = !char.IsSurrogate((char)c) && IsSegmentStart(c) && !MayChange(c) && !(c >= LBase && c < LBase + LCount) && !(c >= SBase && c < SBase + SCount);
        return table;
    }

    /// <summary>True if a lone character changes under NFC (singletons and composition exclusions).</summary>
    public static bool MayChange(int cp) => cp >= 0xC0 && unstable.Contains(cp);

    private static readonly HashSet<int> unstable = [.. decompositions.Keys.Where(cp => Normalize([cp]) is var n && (n.Count != 1 || n[0] != cp))];

    private static readonly bool[] inert = BuildInert(); // after every table it reads (static initialisers run in order)

    /// <summary>NFC of a code point sequence.</summary>
    public static List<int> Normalize(List<int> cps) => [.. NormalizeWithChanges(cps).Select(x => x.Cp)];

    /// <summary>
    /// NFC with the alignment "changes" of the <c>unicode-normalization-alignments</c> crate that
    /// the Rust library feeds to <c>NormalizedString::transform</c>: 0 = replaces the next input
    /// character, +1 = inserted (extra characters of a decomposition), -n = also swallows the next
    /// n input characters (a composition). Changes travel with their characters through reordering;
    /// a composite gets starter.change + mark.change - 1.
    /// </summary>
    public static List<(int Cp, int Change)> NormalizeWithChanges(List<int> cps)
    {
        // 1. Full canonical decomposition: first character 0, the others +1.
        var d = new List<(int Cp, int Change)>(cps.Count + 4);
        foreach (var cp in cps)
        {
            if (cp >= SBase && cp < SBase + SCount)
            {
                int s = cp - SBase;
                d.Add((LBase + s / NCount, 0));
                d.Add((VBase + s % NCount / TCount, 1));
                if (s % TCount != 0) d.Add((TBase + s % TCount, 1));
            }
            else if (decompositions.TryGetValue(cp, out var dec))
                for (int i = 0; i < dec.Length; i++) d.Add((dec[i], i == 0 ? 0 : 1));
            else d.Add((cp, 0));
        }
        // 2. Canonical ordering: stable sort of each run of non-starters by combining class.
        for (int i = 1; i < d.Count; i++)
        {
            int c = Ccc(d[i].Cp);
            if (c == 0) continue;
            int j = i;
            while (j > 0 && Ccc(d[j - 1].Cp) > c) { (d[j - 1], d[j]) = (d[j], d[j - 1]); j--; }
        }
        // 3. Canonical composition.
        var r = new List<(int Cp, int Change)>(d.Count);
        int starter = -1, lastCcc = -1; // lastCcc: class of the last char kept after the starter, -1 if none
        foreach (var (ch, change) in d)
        {
            int c = Ccc(ch);
            if (starter >= 0 && (lastCcc == -1 || (lastCcc != 0 && lastCcc < c)) && TryCompose(r[starter].Cp, ch, out var composite))
            {
                r[starter] = (composite, r[starter].Change + change - 1);
                continue;
            }
            if (c == 0) { starter = r.Count; lastCcc = -1; }
            else lastCcc = c;
            r.Add((ch, change));
        }
        return r;
    }

    private static bool TryCompose(int a, int b, out int composite)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
        {
            composite = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
            return true;
        }
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
        {
            composite = a + (b - TBase);
            return true;
        }
        return compositions.TryGetValue(((long)a << 32) | (uint)b, out composite);
    }

    private static Dictionary<int, byte> LoadCcc()
    {
        var data = UnicodeNfcData.CombiningClasses;
        var map = new Dictionary<int, byte>(data.Length / 2);
        for (int i = 0; i < data.Length; i += 2) map[data[i]] = (byte)data[i + 1];
        return map;
    }

    private static Dictionary<int, int[]> LoadDecompositions()
    {
        var data = UnicodeNfcData.Decompositions;
        var map = new Dictionary<int, int[]>();
        for (int i = 0; i < data.Length;)
        {
            int cp = data[i], n = data[i + 1];
            map[cp] = data.Slice(i + 2, n).ToArray();
            i += 2 + n;
        }
        return map;
    }

    private static Dictionary<long, int> LoadCompositions(out HashSet<int> seconds)
    {
        var data = UnicodeNfcData.Compositions;
        var map = new Dictionary<long, int>(data.Length / 3);
        seconds = [];
        for (int i = 0; i < data.Length; i += 3)
        {
            map[((long)data[i] << 32) | (uint)data[i + 1]] = data[i + 2];
            if (Ccc(data[i + 1]) == 0) seconds.Add(data[i + 1]);
        }
        return map;
    }
}
