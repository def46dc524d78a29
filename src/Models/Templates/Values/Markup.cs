namespace SteerServer.Models.Templates.Values;

/// <summary>
/// Python <c>markupsafe.Markup</c> (what <c>|safe</c> returns). Only its concatenation matters for chat templates:
/// <c>str + Markup</c> and <c>Markup + str</c> HTML-escape the plain side, which some mistral-common templates rely on.
/// </summary>
internal sealed class Markup(string value)
{
    public string Value { get; } = value;

    public override string ToString() => Value;

    public static string Escape(string s)
    {
        if (s.AsSpan().IndexOfAny("&<>\"'") < 0)
            return s;
        var sb = new System.Text.StringBuilder(s.Length + 16);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&#34;",
                '\'' => "&#39;",
                _ => null,
            } ?? c.ToString());
        }
        return sb.ToString();
    }
}
