using SteerServer.Models.Errors;
using SteerServer.Models.Templates.Ast;
using SteerServer.Models.Templates.Values;

namespace SteerServer.Models.Templates;

/// <summary>
/// A parsed chat template (Jinja, rendered with Hugging Face transformers' environment: trim_blocks, lstrip_blocks,
/// loop controls, <c>raise_exception</c>, <c>strftime_now</c>, json.dumps-style <c>tojson</c>). Parse once per model;
/// the instance is immutable and safe for concurrent renders.
/// </summary>
public sealed class ChatTemplate
{
    private readonly Stmt[] body;

    private ChatTemplate(string source, Stmt[] body)
    {
        Source = source;
        this.body = body;
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>
    /// Parses <paramref name="source"/>. A syntax error, unknown filter or unknown test throws
    /// <see cref="SteerException"/> (<see cref="ErrorKind.InvalidRequest"/>, code <c>template_error</c>) naming the line.
    /// </summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return new ChatTemplate(source, Parser.Parse(source));
        }
        catch (TemplateSyntaxException e)
        {
            throw new SteerException(ErrorKind.InvalidRequest, $"chat template syntax error at line {e.Line}: {e.Message}", "chat_template", "template_error", e);
        }
    }

    /// <summary>
    /// Renders the template. A template error (<c>raise_exception</c>, a type error, an undefined value used)
    /// throws <see cref="SteerException"/> (<see cref="ErrorKind.InvalidRequest"/>) naming the line and the reason.
    /// </summary>
    public string Render(ChatTemplateContext context) => Run(context, null).Builder.ToString();

    /// <summary>Renders and reports, for each piece of message content copied verbatim, where it landed.</summary>
    public RenderedPrompt RenderWithSpans(ChatTemplateContext context)
    {
        var tracker = new ProvenanceTracker();
        var output = Run(context, tracker);
        var spans = output.Segments?
            .Select(s => new ContentSpan(s.Message, s.Part, s.ContentStart, s.Start, s.Length))
            .ToArray() ?? [];
        return new RenderedPrompt(output.Builder.ToString(), spans);
    }

    private OutputBuffer Run(ChatTemplateContext context, ProvenanceTracker? tracker)
    {
        ArgumentNullException.ThrowIfNull(context);
        var vars = new Frame(Globals.Frame);
        vars.Set("messages", ValueConverter.Messages(context.Messages, tracker));
        vars.Set("tools", ValueConverter.FromExternal(context.Tools));
        vars.Set("documents", ValueConverter.FromExternal(context.Documents));
        vars.Set("add_generation_prompt", context.AddGenerationPrompt);
        if (context.BosToken != null) vars.Set("bos_token", context.BosToken);
        if (context.EosToken != null) vars.Set("eos_token", context.EosToken);
        if (context.ChatTemplateKwargs != null)
            foreach (var kv in context.ChatTemplateKwargs)
                vars.Set(kv.Key, ValueConverter.FromExternal(kv.Value));
        try
        {
            return new Interpreter(context.Clock, tracker).Render(body, vars);
        }
        catch (TemplateRuntimeException e)
        {
            var reason = e.PythonType == "TemplateError" ? e.Message : $"{e.PythonType}: {e.Message}";
            throw new SteerException(ErrorKind.InvalidRequest, $"chat template error at line {e.Line}: {reason}", "messages", "template_error", e);
        }
    }
}
