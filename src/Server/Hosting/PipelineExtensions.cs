using SteerServer.Server.Endpoints;
using SteerServer.Server.Errors;
using SteerServer.Server.Observability;
using SteerServer.Server.Playground;

namespace SteerServer.Server.Hosting;

/// <summary>The middleware order and the route table.</summary>
public static class PipelineExtensions
{
    public static WebApplication UseSteerServer(this WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseSteerServerRequestLogging(); // outside the exception handler: it logs the status the client finally gets
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseExceptionHandler();
        // Empty-bodied errors (unknown route 404, wrong verb 405) in OpenAI shape too.
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var writer = http.RequestServices.GetRequiredService<ErrorWriter>();
            int status = http.Response.StatusCode;
            var message = status == StatusCodes.Status404NotFound ? $"Unknown route {http.Request.Method} {http.Request.Path}." : $"{http.Request.Method} {http.Request.Path} answered {status}.";
            await writer.WriteAsync(http, status, new ApiError(message, "invalid_request_error", null, status == 404 ? "not_found" : null));
        });
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UsePlayground(); // the page at /, static files only
        app.UseSwagger();
        app.UseSwaggerUI();
        return app;
    }

    public static WebApplication MapSteerServer(this WebApplication app)
    {
        app.MapChatApi();
        app.MapCompletionApi();
        app.MapModelApi();
        app.MapTokenizeApi();
        app.MapOperationsApi();
        return app;
    }
}
