using System.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace SteerServer.Server.Observability;

/// <summary>
/// The console's text format: one line per event, whatever a client put in a logged string. The rendered line has
/// its control characters (newlines, ESC, ...) and Unicode line separators escaped as <c>\n</c>, <c>\u001b</c>, so
/// nobody can forge a log line or drive the terminal; only an exception's stack trace may follow on further lines.
/// Properties that the message template does not show (the request log's model, tokens, timings) are appended
/// as <c>Name=value</c>, so the text format carries what the JSON format carries.
/// </summary>
public sealed class SingleLineTextFormatter : ITextFormatter
{
    private const string Template = "{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContext}: {Message:lj}";

    // Ambient properties every event in a request carries; the line already says who is speaking.
    private static readonly HashSet<string> Ambient = new(StringComparer.Ordinal)
    {
        "SourceContext", "EventId", "RequestId", "RequestPath", "ConnectionId", "TraceId", "SpanId", "ParentId",
    };

    private readonly MessageTemplateTextFormatter line = new(Template);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        var buffer = new StringWriter();
        line.Format(logEvent, buffer);
        foreach (var (name, value) in logEvent.Properties)
        {
            if (Ambient.Contains(name) || InTemplate(logEvent, name)) continue;
            buffer.Write(' ');
            buffer.Write(name);
            buffer.Write('=');
            switch (value)
            {
                case ScalarValue { Value: string s }: buffer.Write(s); break;
                case ScalarValue { Value: bool b }: buffer.Write(b ? "true" : "false"); break;
                default: value.Render(buffer, null, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
        output.Write(Escape(buffer.ToString()));
        output.Write('\n');
        if (logEvent.Exception is { } e)
            output.Write(e.ToString() + "\n");
    }

    private static bool InTemplate(LogEvent logEvent, string name)
    {
        foreach (var token in logEvent.MessageTemplate.Tokens)
            if (token is Serilog.Parsing.PropertyToken p && p.PropertyName == name) return true;
        return false;
    }

    /// <summary>C0/C1 control characters and U+2028/U+2029 as escapes (a typed backslash stays as it is: it cannot break a line).</summary>
    internal static string Escape(string text)
    {
        int i = 0;
        while (i < text.Length && !NeedsEscape(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                default:
                    if (NeedsEscape(c)) sb.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
