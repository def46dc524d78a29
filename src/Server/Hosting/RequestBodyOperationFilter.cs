using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;
using SteerServer.Server.Endpoints;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SteerServer.Server.Hosting;

/// <summary>
/// Documents the request body named by <see cref="RequestBodyMetadata"/> as application/json with a working example,
/// and the 200 of handlers that answer either JSON (<see cref="Ok{TValue}"/>) or server-sent events
/// (<see cref="SseResult"/>) as both media types (the API explorer keeps only one of the two).
/// </summary>
public sealed class RequestBodyOperationFilter(ModelHost host) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var body = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<RequestBodyMetadata>().FirstOrDefault();
        if (body is null) return;
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = context.SchemaGenerator.GenerateSchema(body.BodyType, context.SchemaRepository),
                    Example = OpenApiExamples.For(body.BodyType, host.Name),
                },
            },
        };
        if (JsonOrStream(context.MethodInfo.ReturnType) is { } json && operation.Responses is { } responses)
            responses["200"] = new OpenApiResponse
            {
                Description = "JSON, or with `\"stream\": true` server-sent events: `data: {chunk}` lines, then `data: [DONE]`. " +
                              "`steering_applied` (and `influence` when asked) ride on the response, or on the last chunk before the usage chunk.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = context.SchemaGenerator.GenerateSchema(json, context.SchemaRepository) },
                    ["text/event-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
            };
    }

    /// <summary>T of a handler returning <c>Task&lt;Results&lt;Ok&lt;T&gt;, SseResult&gt;&gt;</c>, else null.</summary>
    private static Type? JsonOrStream(Type returnType)
    {
        var type = returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>) ? returnType.GetGenericArguments()[0] : returnType;
        if (!type.IsGenericType || !type.GetGenericArguments().Contains(typeof(SseResult))) return null;
        var ok = type.GetGenericArguments().FirstOrDefault(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Ok<>));
        return ok?.GetGenericArguments()[0];
    }
}
