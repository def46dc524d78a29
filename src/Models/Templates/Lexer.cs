using System.Globalization;
using System.Text;

namespace SteerServer.Models.Templates;

/// <summary>
/// Splits a template into tokens exactly as Jinja2's lexer does under Hugging Face's settings
/// (<c>trim_blocks=True</c>, <c>lstrip_blocks=True</c>, <c>keep_trailing_newline=False</c>):
/// <list type="bullet">
/// <item><c>{%-</c>/<c>{{-</c>/<c>{#-</c> strip all whitespace before the tag; <c>-%}</c>/<c>-}}</c>/<c>-#}</c> all after.</item>
/// <item>trim_blocks: one newline right after <c>%}</c> or <c>#}</c> is dropped (not after <c>}}</c>); <c>+%}</c> keeps it.</item>
/// <item>lstrip_blocks: spaces/tabs between a line start and <c>{%</c> or <c>{#</c> are dropped (not before <c>{{</c>); <c>{%+</c> keeps them.</item>
/// </list>
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
    [
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "/", "*", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}", ";",
    ];

    private readonly string src;
    private readonly List<Token> tokens = [];
    private int pos;
    private int line = 1;

    private Lexer(string source)
    {
        // Jinja normalises newlines and drops one trailing newline before lexing.
        source = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (source.EndsWith('\n'))
            source = source[..^1];
        src = source;
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(source);
        lexer.Run();
        return lexer.tokens;
    }

    private void Run()
    {
        var lineStarting = true;
        while (pos < src.Length)
        {
            var open = FindTagOpen(pos);
            if (open < 0)
            {
                EmitData(src[pos..]);
                pos = src.Length;
                break;
            }
            var text = src[pos..open];
            var kind = src[open + 1]; // '{', '%' or '#'
            var signPos = open + 2;
            var sign = signPos < src.Length && (src[signPos] == '-' || src[signPos] == '+') ? src[signPos] : '\0';
            // "{{+" is not a whitespace modifier in Jinja; leave '+' to the expression.
            if (kind == '{' && sign == '+') sign = '\0';

            if (sign == '-')
                text = text.TrimEnd();
            else if (sign != '+' && kind != '{')
            {
                var lpos = text.LastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && lpos < text.Length && IsAllWhiteSpace(text, lpos))
                    text = text[..lpos];
            }
            EmitData(text);
            line += CountNewlines(src, pos, open);
            pos = signPos + (sign != '\0' ? 1 : 0);

            switch (kind)
            {
                case '#':
                    lineStarting = LexComment();
                    break;
                case '%':
                    if (TryLexRaw(out lineStarting))
                        break;
                    tokens.Add(new Token(TokenKind.BlockBegin, "{%", line));
                    lineStarting = LexInside(isBlock: true);
                    break;
                default:
                    tokens.Add(new Token(TokenKind.VariableBegin, "{{", line));
                    lineStarting = LexInside(isBlock: false);
                    break;
            }
        }
        tokens.Add(new Token(TokenKind.Eof, "", line));
    }

    private int FindTagOpen(int from)
    {
        var i = from;
        while (true)
        {
            i = src.IndexOf('{', i);
            if (i < 0 || i + 1 >= src.Length) return -1;
            var c = src[i + 1];
            if (c == '{' || c == '%' || c == '#') return i;
            i++;
        }
    }

    private static bool IsAllWhiteSpace(string s, int from)
    {
        for (var i = from; i < s.Length; i++)
            if (!Values.PyOps.IsPyWhiteSpace(s[i])) return false;
        return true;
    }

    private static int CountNewlines(string s, int from, int to)
    {
        var n = 0;
        for (var i = from; i < to; i++)
            if (s[i] == '\n') n++;
        return n;
    }

    private void EmitData(string text)
    {
        if (text.Length > 0)
            tokens.Add(new Token(TokenKind.Data, text, line));
    }

    /// <summary>Consumes the end of a tag and the whitespace its modifier removes. Returns Jinja's line_starting.</summary>
    private bool ConsumeTagEnd(bool strip, bool trimNewline)
    {
        var start = pos;
        if (strip)
        {
            while (pos < src.Length && Values.PyOps.IsPyWhiteSpace(src[pos])) pos++;
        }
        else if (trimNewline && pos < src.Length && src[pos] == '\n')
            pos++;
        var consumedNewlineLast = pos > start && src[pos - 1] == '\n';
        line += CountNewlines(src, start, pos);
        return consumedNewlineLast;
    }

    private bool LexComment()
    {
        var end = src.IndexOf("#}", pos, StringComparison.Ordinal);
        if (end < 0)
            throw new TemplateSyntaxException("Missing end of comment tag", line);
        var strip = end > pos && src[end - 1] == '-';
        var keep = end > pos && src[end - 1] == '+';
        line += CountNewlines(src, pos, end);
        pos = end + 2;
        return ConsumeTagEnd(strip, trimNewline: !keep);
    }

    private bool TryLexRaw(out bool lineStarting)
    {
        lineStarting = false;
        var p = pos;
        while (p < src.Length && char.IsWhiteSpace(src[p])) p++;
        if (string.CompareOrdinal(src, p, "raw", 0, 3) != 0) return false;
        p += 3;
        if (p < src.Length && (char.IsLetterOrDigit(src[p]) || src[p] == '_')) return false;
        while (p < src.Length && char.IsWhiteSpace(src[p])) p++;
        var stripOpen = p < src.Length && src[p] == '-';
        if (stripOpen) p++;
        if (string.CompareOrdinal(src, p, "%}", 0, 2) != 0) return false;
        pos = p + 2;
        ConsumeTagEnd(stripOpen, trimNewline: false);
        // Find {% endraw %} (with optional modifiers).
        var search = pos;
        while (true)
        {
            var open = src.IndexOf("{%", search, StringComparison.Ordinal);
            if (open < 0) throw new TemplateSyntaxException("Missing end of raw directive", line);
            var q = open + 2;
            var sign = q < src.Length && (src[q] == '-' || src[q] == '+') ? src[q] : '\0';
            if (sign != '\0') q++;
            while (q < src.Length && char.IsWhiteSpace(src[q])) q++;
            if (string.CompareOrdinal(src, q, "endraw", 0, 6) == 0)
            {
                q += 6;
                while (q < src.Length && char.IsWhiteSpace(src[q])) q++;
                var stripClose = q < src.Length && src[q] == '-';
                var keepClose = q < src.Length && src[q] == '+';
                if (stripClose || keepClose) q++;
                if (string.CompareOrdinal(src, q, "%}", 0, 2) == 0)
                {
                    var body = src[pos..open];
                    if (sign == '-') body = body.TrimEnd();
                    EmitData(body);
                    line += CountNewlines(src, pos, q);
                    pos = q + 2;
                    lineStarting = ConsumeTagEnd(stripClose, trimNewline: !keepClose);
                    return true;
                }
            }
            search = open + 2;
        }
    }

    /// <summary>Lexes the inside of <c>{% %}</c> or <c>{{ }}</c> up to and including its end.</summary>
    private bool LexInside(bool isBlock)
    {
        var depth = 0; // brackets open inside the tag: an end marker inside them is an operator
        var startLine = line;
        while (true)
        {
            if (pos >= src.Length)
                throw new TemplateSyntaxException(isBlock ? "Unexpected end of template; missing '%}'" : "Unexpected end of template; missing '}}'", startLine);
            var c = src[pos];
            if (depth == 0)
            {
                var end = isBlock ? "%}" : "}}";
                if (c == '-' && string.CompareOrdinal(src, pos + 1, end, 0, 2) == 0)
                {
                    tokens.Add(new Token(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, end, line));
                    pos += 3;
                    return ConsumeTagEnd(strip: true, trimNewline: false);
                }
                if (isBlock && c == '+' && string.CompareOrdinal(src, pos + 1, end, 0, 2) == 0)
                {
                    tokens.Add(new Token(TokenKind.BlockEnd, end, line));
                    pos += 3;
                    return false;
                }
                if (string.CompareOrdinal(src, pos, end, 0, 2) == 0)
                {
                    tokens.Add(new Token(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, end, line));
                    pos += 2;
                    return ConsumeTagEnd(strip: false, trimNewline: isBlock);
                }
            }
            if (char.IsWhiteSpace(c))
            {
                if (c == '\n') line++;
                pos++;
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                LexNumber();
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var s = pos;
                while (pos < src.Length && (char.IsAsciiLetterOrDigit(src[pos]) || src[pos] == '_')) pos++;
                tokens.Add(new Token(TokenKind.Name, src[s..pos], line));
                continue;
            }
            if (c == '\'' || c == '"')
            {
                LexString(c);
                continue;
            }
            var op = MatchOperator();
            if (op == null)
                throw new TemplateSyntaxException($"unexpected char {Values.PyOps.ReprString(c.ToString())} at {pos}", line);
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}")
            {
                if (depth == 0) throw new TemplateSyntaxException($"unexpected '{op}'", line);
                depth--;
            }
            tokens.Add(new Token(TokenKind.Operator, op, line));
            pos += op.Length;
        }
    }

    private string? MatchOperator()
    {
        foreach (var op in Operators)
            if (string.CompareOrdinal(src, pos, op, 0, op.Length) == 0)
                return op;
        return null;
    }

    private void LexNumber()
    {
        var s = pos;
        while (pos < src.Length && (char.IsAsciiDigit(src[pos]) || src[pos] == '_')) pos++;
        var isFloat = false;
        var afterDot = s > 0 && src[s - 1] == '.'; // Jinja: "(?<!\.)" so matrix.0.1 is two indexes, not 0.1
        if (!afterDot && pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
        {
            isFloat = true;
            pos++;
            while (pos < src.Length && (char.IsAsciiDigit(src[pos]) || src[pos] == '_')) pos++;
        }
        if (!afterDot && pos < src.Length && (src[pos] == 'e' || src[pos] == 'E'))
        {
            var p = pos + 1;
            if (p < src.Length && (src[p] == '+' || src[p] == '-')) p++;
            if (p < src.Length && char.IsAsciiDigit(src[p]))
            {
                isFloat = true;
                pos = p;
                while (pos < src.Length && char.IsAsciiDigit(src[pos])) pos++;
            }
        }
        var text = src[s..pos].Replace("_", "");
        if (isFloat)
            tokens.Add(new Token(TokenKind.Float, text, line, double.Parse(text, CultureInfo.InvariantCulture)));
        else
            tokens.Add(new Token(TokenKind.Integer, text, line, long.Parse(text, CultureInfo.InvariantCulture)));
    }

    /// <summary>A quoted string; escapes are decoded like Python's <c>unicode-escape</c> (unknown ones stay as written).</summary>
    private void LexString(char quote)
    {
        var startLine = line;
        var sb = new StringBuilder();
        pos++;
        while (true)
        {
            if (pos >= src.Length) throw new TemplateSyntaxException("unexpected end of string", startLine);
            var c = src[pos];
            if (c == quote) { pos++; break; }
            if (c == '\n') line++;
            if (c != '\\' || pos + 1 >= src.Length)
            {
                sb.Append(c);
                pos++;
                continue;
            }
            var e = src[pos + 1];
            pos += 2;
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'a': sb.Append('\a'); break;
                case '\n': line++; break; // line continuation
                case 'x': sb.Append(ReadHex(2)); break;
                case 'u': sb.Append(ReadHex(4)); break;
                case 'U': sb.Append(ReadHex(8)); break;
                case >= '0' and <= '7':
                    var v = e - '0';
                    for (var k = 0; k < 2 && pos < src.Length && src[pos] >= '0' && src[pos] <= '7'; k++)
                        v = v * 8 + (src[pos++] - '0');
                    sb.Append((char)v);
                    break;
                default:
                    sb.Append('\\').Append(e);
                    if (e == '\n') line++;
                    break;
            }
        }
        tokens.Add(new Token(TokenKind.String, sb.ToString(), startLine, sb.ToString()));
    }

    private string ReadHex(int digits)
    {
        if (pos + digits > src.Length || !int.TryParse(src.AsSpan(pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp))
            throw new TemplateSyntaxException("truncated \\x/\\u escape in string", line);
        pos += digits;
        return char.ConvertFromUtf32(cp);
    }
}
