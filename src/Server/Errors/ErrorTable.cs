using SteerServer.Models.Errors;

namespace SteerServer.Server.Errors;

/// <summary>
/// The only mapping from <see cref="ErrorKind"/> to HTTP status and OpenAI error <c>type</c>.
/// Input errors are 4xx on purpose: every OpenAI SDK retries 5xx (and 429), so a bad request
/// answered with 5xx would be re-sent two or three times.
/// </summary>
public static class ErrorTable
{
    public static (int Status, string Type) Map(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidRequest => (StatusCodes.Status400BadRequest, "invalid_request_error"),
        ErrorKind.UnsupportedParameter => (StatusCodes.Status400BadRequest, "invalid_request_error"),
        ErrorKind.ContextLengthExceeded => (StatusCodes.Status400BadRequest, "invalid_request_error"),
        ErrorKind.ModelNotFound => (StatusCodes.Status404NotFound, "invalid_request_error"),
        ErrorKind.Unauthorized => (StatusCodes.Status401Unauthorized, "invalid_request_error"),
        ErrorKind.Overloaded => (StatusCodes.Status429TooManyRequests, "rate_limit_error"),
        ErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "server_error"),
        ErrorKind.InvalidModel => (StatusCodes.Status500InternalServerError, "server_error"),
        _ => (StatusCodes.Status500InternalServerError, "server_error"),
    };

    /// <summary>Statuses a client should retry later; they carry <c>Retry-After</c>.</summary>
    public static bool IsTransient(int status) => status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable;

    public static ApiError ToApiError(SteerException e)
    {
        var (_, type) = Map(e.Kind);
        return new ApiError(e.Message, type, e.Param, e.Code);
    }

    /// <summary>The body for anything that is not a <see cref="SteerException"/>: never leaks internals.</summary>
    public static ApiError Internal(string requestId) =>
        new($"The server had an error while processing the request (request id {requestId}).", "server_error", null, "internal_error");
}
