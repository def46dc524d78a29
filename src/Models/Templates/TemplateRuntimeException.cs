namespace SteerServer.Models.Templates;

/// <summary>
/// An error raised while rendering, typed like the Python exception Jinja would raise (TypeError, UndefinedError,
/// TemplateError for <c>raise_exception</c>...). <see cref="Line"/> is filled by the innermost statement that sees it.
/// </summary>
internal sealed class TemplateRuntimeException(string pythonType, string message) : Exception(message)
{
    public string PythonType { get; } = pythonType;

    public int Line { get; set; }

    public static TemplateRuntimeException Type(string message) => new("TypeError", message);
}
