using Microsoft.OpenApi;
using SteerServer.Server.Endpoints;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SteerServer.Server.Hosting;

/// <summary>Documents the request body named by <see cref="RequestBodyMetadata"/> as application/json.</summary>
public sealed class RequestBodyOperationFilter : IOperationFilter
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
                ["application/json"] = new() { Schema = context.SchemaGenerator.GenerateSchema(body.BodyType, context.SchemaRepository) },
            },
        };
    }
}
