using System.Text;

namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary>
/// Rewrites the few Oniguruma / fancy-regex constructs that .NET's regex syntax lacks:
/// possessive quantifiers (<c>X?+</c>, <c>X*+</c>, <c>X++</c>, <c>X{n,m}+</c>, used by
/// tiktoken-style patterns) become atomic groups <c>(?&gt;X?)</c>, which match the same, and
/// <c>\x{HHHH}</c> becomes a .NET escape. Everything else (<c>\p{L}</c>, <c>(?i:...)</c>,
/// look-arounds, atomic groups) has the same meaning in both and is passed through.
/// </summary>
internal static class OnigPattern
{
    /// <param name="pattern">The Oniguruma pattern.</param>
    /// <param name="astral">Spells a supplementary-plane literal (\x{1F600} or a surrogate pair) in the
    /// translated pattern; by default its UTF-16 surrogate pair.</param>
    public static string ToDotNet(string pattern, Func<int, string>? astral = null)
    {
        astral ??= cp => System.Text.RegularExpressions.Regex.Escape(char.ConvertFromUtf32(cp));
        var sb = new StringBuilder(pattern.Length + 16);
        int atomStart = -1; // index in sb where the last complete atom starts
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            if (c is '?' or '*' or '+' or '{' && atomStart >= 0 && TryQuantifier(pattern, i, out int qEnd))
            {
                // A quantifier applies to the atom just written; "+" right after it makes it possessive.
                sb.Append(pattern, i, qEnd - i);
                i = qEnd;
                if (i < pattern.Length && pattern[i] == '+')
                {
                    sb.Insert(atomStart, "(?>");
                    sb.Append(')');
                    i++;
                }
                else if (i < pattern.Length && pattern[i] == '?')
                {
                    sb.Append('?'); // lazy
                    i++;
                }
                atomStart = -1;
                continue;
            }
            atomStart = sb.Length;
            if (c == '\\') i = CopyEscape(pattern, i, sb, astral);
            else if (c == '[') i = CopyClass(pattern, i, sb, astral);
            else if (TextUnits.IsPairAt(pattern, i))
            {
                sb.Append("(?:").Append(astral(char.ConvertToUtf32(c, pattern[i + 1]))).Append(')');
                i += 2;
            }
            else if (c == '(')
            {
                int end = GroupEnd(pattern, i);
                // Translate the group's body too (it may hold possessive quantifiers).
                int bodyStart = GroupBodyStart(pattern, i, end);
                sb.Append(pattern, i, bodyStart - i);
                sb.Append(ToDotNet(pattern[bodyStart..end], astral));
                sb.Append(')');
                i = end + 1;
            }
            else
            {
                sb.Append(c);
                i++;
                if (c == '|') atomStart = -1;
            }
        }
        return sb.ToString();
    }

    /// <summary>Index after a group's opening syntax: "(", "(?:", "(?i:", "(?>", "(?=", "(?!", "(?&lt;=", "(?&lt;!", "(?&lt;name&gt;".</summary>
    private static int GroupBodyStart(string p, int open, int close)
    {
        int j = open + 1;
        if (j >= close || p[j] != '?') return j;
        j++;
        if (j < close && p[j] is '>' or '=' or '!' or ':') return j + 1;
        if (j < close && p[j] == '<')
        {
            if (j + 1 < close && p[j + 1] is '=' or '!') return j + 2;
            int gt = p.IndexOf('>', j);
            return gt > 0 && gt < close ? gt + 1 : j + 1;
        }
        while (j < close && (char.IsAsciiLetter(p[j]) || p[j] == '-')) j++; // inline flags
        return j < close && p[j] == ':' ? j + 1 : close; // "(?i)" has no body
    }

    private static bool TryQuantifier(string p, int i, out int end)
    {
        end = i + 1;
        if (p[i] != '{') return true;
        int j = i + 1;
        while (j < p.Length && (char.IsAsciiDigit(p[j]) || p[j] == ',')) j++;
        if (j < p.Length && p[j] == '}' && j > i + 1 && char.IsAsciiDigit(p[i + 1]) | p[i + 1] == ',')
        {
            end = j + 1;
            return true;
        }
        return false;
    }

    private static int CopyEscape(string p, int i, StringBuilder sb, Func<int, string> astral)
    {
        if (i + 1 >= p.Length) { sb.Append('\\'); return i + 1; }
        char e = p[i + 1];
        if ((e is 'p' or 'P') && i + 2 < p.Length && p[i + 2] == '{')
        {
            int close = p.IndexOf('}', i + 3);
            int end = close < 0 ? p.Length : close + 1;
            sb.Append(p, i, end - i);
            return end;
        }
        if (e == 'x' && i + 2 < p.Length && p[i + 2] == '{')
        {
            int close = p.IndexOf('}', i + 3);
            if (close > 0 && int.TryParse(p.AsSpan(i + 3, close - i - 3), System.Globalization.NumberStyles.HexNumber, null, out int cp))
            {
                if (cp <= 0xFFFF) sb.Append("\\u").Append(cp.ToString("X4"));
                else sb.Append("(?:").Append(astral(cp)).Append(')');
                return close + 1;
            }
        }
        sb.Append(p, i, 2);
        return i + 2;
    }

    private static int CopyClass(string p, int i, StringBuilder sb, Func<int, string> astral)
    {
        int depth = 0, j = i;
        for (; j < p.Length; j++)
        {
            if (p[j] == '\\') { j++; continue; }
            if (p[j] == '[') depth++;
            else if (p[j] == ']' && j > i + 1 && !(j == i + 2 && p[i + 1] == '^') && --depth == 0) break;
        }
        int end = Math.Min(j + 1, p.Length);
        var cls = p[i..end];
        // \x{HHHH} and supplementary characters inside a class (a class holds single UTF-16 units in .NET).
        if (cls.Contains("\\x{", StringComparison.Ordinal) || cls.Any(char.IsSurrogate))
        {
            var inner = new StringBuilder();
            for (int k = 0; k < cls.Length;)
                if (cls[k] == '\\') k = CopyEscape(cls, k, inner, cp => astral(cp) is var a && a.StartsWith("(?:", StringComparison.Ordinal) ? a[3..^1] : a);
                else if (TextUnits.IsPairAt(cls, k)) { inner.Append(astral(char.ConvertToUtf32(cls[k], cls[k + 1]))); k += 2; }
                else inner.Append(cls[k++]);
            cls = inner.ToString();
        }
        sb.Append(cls);
        return end;
    }

    private static int GroupEnd(string p, int i)
    {
        int depth = 0;
        for (int j = i; j < p.Length; j++)
        {
            char c = p[j];
            if (c == '\\') { j++; continue; }
            if (c == '[') { j = ClassEnd(p, j) - 1; continue; }
            if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return j;
        }
        return p.Length - 1;
    }

    private static int ClassEnd(string p, int i)
    {
        int depth = 0;
        for (int j = i; j < p.Length; j++)
        {
            if (p[j] == '\\') { j++; continue; }
            if (p[j] == '[') depth++;
            else if (p[j] == ']' && j > i + 1 && !(j == i + 2 && p[i + 1] == '^') && --depth == 0) return j + 1;
        }
        return p.Length;
    }
}
