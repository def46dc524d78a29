namespace SteerServer.Models.Errors;

/// <summary>
/// The one exception type of the project. Any layer throws it without knowing HTTP;
/// the server maps <see cref="Kind"/> to a status and writes <c>{"error":{message,type,param,code}}</c>.
/// </summary>
public sealed class SteerException : Exception
{
    public SteerException(ErrorKind kind, string message, string? param = null, string? code = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Param = param;
        Code = code;
    }

    public ErrorKind Kind { get; }

    /// <summary>JSON path of the offending request field, e.g. <c>steering.head_config.12[3]</c>.</summary>
    public string? Param { get; }

    /// <summary>Machine-readable code, e.g. <c>context_length_exceeded</c>.</summary>
    public string? Code { get; }

    public static SteerException InvalidRequest(string message, string? param = null, string? code = null) =>
        new(ErrorKind.InvalidRequest, message, param, code ?? "invalid_value");

    public static SteerException Unsupported(string param, string? why = null) =>
        new(ErrorKind.UnsupportedParameter, why ?? $"Parameter '{param}' is not supported by this server.", param, "unsupported_parameter");

    public static SteerException ContextLength(string message, string? param = "messages") =>
        new(ErrorKind.ContextLengthExceeded, message, param, "context_length_exceeded");

    public static SteerException ModelNotFound(string model) =>
        new(ErrorKind.ModelNotFound, $"The model '{model}' does not exist or is not served here.", "model", "model_not_found");

    public static SteerException InvalidModel(string path, string problem, Exception? inner = null) =>
        new(ErrorKind.InvalidModel, $"{path}: {problem}", null, "invalid_model", inner);
}
