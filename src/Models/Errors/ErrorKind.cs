namespace SteerServer.Models.Errors;

/// <summary>What went wrong, independent of HTTP. The server maps each kind to one status and OpenAI error type.</summary>
public enum ErrorKind
{
    /// <summary>The request is malformed or a parameter is out of range (400 invalid_request_error).</summary>
    InvalidRequest,
    /// <summary>A parameter the server cannot honour (400, code unsupported_parameter).</summary>
    UnsupportedParameter,
    /// <summary>Prompt plus requested tokens exceed the model context (400, code context_length_exceeded).</summary>
    ContextLengthExceeded,
    /// <summary>The named model is not served (404 model_not_found).</summary>
    ModelNotFound,
    /// <summary>Missing or wrong API key (401).</summary>
    Unauthorized,
    /// <summary>The queue is full (429).</summary>
    Overloaded,
    /// <summary>Loading or draining (503).</summary>
    Unavailable,
    /// <summary>A model directory, checkpoint, tokenizer or template that cannot be loaded.</summary>
    InvalidModel,
    /// <summary>A bug or an unexpected failure inside the engine (500).</summary>
    Internal,
}
