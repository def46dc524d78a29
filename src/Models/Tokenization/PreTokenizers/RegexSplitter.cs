using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary>
/// Runs a <c>tokenizer.json</c> regex (written for Oniguruma / fancy-regex, which see code points)
/// with .NET's <see cref="Regex"/> (which sees UTF-16 units). Text with surrogate pairs is matched
/// on a shadow string with one character per code point: a supplementary character becomes a BMP
/// stand-in of the same class for these patterns (letter, number or other; none is whitespace), so
/// <c>\p{L}+</c> or <c>\p{N}{1,3}</c> count it once, as the Rust library does. With <c>(?i</c>,
/// U+017F (long s) and U+212A (Kelvin) are shadowed by s and k, which Unicode case folding equates
/// and .NET's case-insensitive matching does not.
/// The regex is compiled once and is safe to share between threads.
/// </summary>
internal sealed class RegexSplitter
{
    private const char LetterStandIn = '\u3042';  // あ, Lo
    private const char NumberStandIn = '\u3007';  // 〇, Nl
    private const char OtherStandIn = '\uE000';   // private use, Co

    private readonly Regex regex;
    private readonly bool foldCase;
    private readonly Dictionary<int, char> astralLiterals = []; // supplementary characters named in the pattern → private-use stand-ins

    public RegexSplitter(string pattern)
    {
        // A supplementary character written in the pattern gets its own private-use stand-in,
        // used in both the pattern and the shadow string, so the literal still matches.
        var translated = OnigPattern.ToDotNet(pattern, cp =>
        {
            if (!astralLiterals.TryGetValue(cp, out var standIn))
                astralLiterals[cp] = standIn = (char)(0xF8FF - astralLiterals.Count);
            return Regex.Escape(standIn.ToString());
        });
        regex = new Regex(translated, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        foldCase = pattern.Contains("(?i", StringComparison.Ordinal);
    }

    public string Pattern => regex.ToString();

    /// <summary>Fills <paramref name="matches"/> with the non-empty matches in <paramref name="text"/> (UTF-16 ranges).</summary>
    public void Matches(string text, List<(int Start, int End)> matches)
    {
        matches.Clear();
        if (!NeedsShadow(text))
        {
            foreach (var m in regex.EnumerateMatches(text))
                if (m.Length > 0) matches.Add((m.Index, m.Index + m.Length));
            return;
        }
        var shadow = new StringBuilder(text.Length);
        var unitOf = new List<int>(text.Length + 1); // shadow index → UTF-16 index
        for (int i = 0; i < text.Length;)
        {
            unitOf.Add(i);
            if (TextUnits.IsPairAt(text, i))
            {
                int cp = char.ConvertToUtf32(text[i], text[i + 1]);
                shadow.Append(astralLiterals.TryGetValue(cp, out var literal) ? literal : StandIn(CharUnicodeInfo.GetUnicodeCategory(cp)));
                i += 2;
            }
            else
            {
                char c = text[i];
                shadow.Append(char.IsSurrogate(c) ? OtherStandIn : foldCase && c == '\u017F' ? 's' : foldCase && c == '\u212A' ? 'k' : c);
                i++;
            }
        }
        unitOf.Add(text.Length);
        foreach (var m in regex.EnumerateMatches(shadow.ToString()))
            if (m.Length > 0) matches.Add((unitOf[m.Index], unitOf[m.Index + m.Length]));
    }

    private bool NeedsShadow(string text)
    {
        foreach (var c in text)
            if (char.IsSurrogate(c) || (foldCase && (c == '\u017F' || c == '\u212A'))) return true;
        return false;
    }

    private static char StandIn(UnicodeCategory cat) => cat switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => LetterStandIn,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => NumberStandIn,
        _ => OtherStandIn,
    };
}
