using System.Globalization;
using System.Text;

namespace SteerServer.Server.Validation;

/// <summary>
/// Client-sent text on its way into a log line: quoted, with control characters, quotes, backslashes and
/// everything outside printable ASCII written as JSON escapes (so no newline can forge a line and no terminal
/// escape reaches a console), and capped in length. Done before logging, so it holds whatever the sink.
/// </summary>
public static class LogText
{
    public const int MaxLength = 64;

    public static string Escape(string text, int maxLength = MaxLength)
    {
        int n = Math.Min(text.Length, maxLength);
        var sb = new StringBuilder(n + 16).Append('"');
        for (int i = 0; i < n; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ' or > '~': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
        if (text.Length > n) sb.Append("…(+").Append(text.Length - n).Append(" chars)");
        return sb.ToString();
    }
}
