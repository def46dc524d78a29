namespace SteerServer.Models.Templates;

/// <summary>A template that cannot be lexed or parsed (Jinja's TemplateSyntaxError / TemplateAssertionError).</summary>
internal sealed class TemplateSyntaxException(string message, int line) : Exception(message)
{
    public int Line { get; } = line;
}
