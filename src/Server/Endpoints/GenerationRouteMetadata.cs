using SteerServer.Server.Errors;

namespace SteerServer.Server.Endpoints;

/// <summary>The OpenAPI error responses every generation route can give (bad input, unknown model, full queue, loading or draining).</summary>
public static class GenerationRouteMetadata
{
    public static RouteHandlerBuilder ProducesGenerationErrors(this RouteHandlerBuilder route) => route
        .Produces<ApiErrorBody>(StatusCodes.Status400BadRequest)
        .Produces<ApiErrorBody>(StatusCodes.Status404NotFound)
        .Produces<ApiErrorBody>(StatusCodes.Status429TooManyRequests)
        .Produces<ApiErrorBody>(StatusCodes.Status503ServiceUnavailable);
}
