using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using SteerServer.Server.Contracts;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SteerServer.Server.Hosting;

/// <summary>
/// The OpenAPI document describes <c>steering</c> field by field (API.md, "The steering object"); on the
/// wire it stays raw JSON so that the steering library can report errors with their exact JSON paths.
/// </summary>
public sealed class SteeringSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (context.Type != typeof(ChatCompletionRequest) && context.Type != typeof(CompletionRequest)) return;
        if (schema is OpenApiSchema s && s.Properties is { } props)
            props["steering"] = Steering();
    }

    private static OpenApiSchema Steering() => new()
    {
        Type = JsonSchemaType.Object | JsonSchemaType.Boolean | JsonSchemaType.Null,
        // Swagger UI renders descriptions as Markdown and drops raw HTML: a bare <!-> reads as a comment and blanks the
        // rest, so every tag sits in a code span.
        Description = "Attention steering (SteerServer extension). Absent or null: the model's configured default; `false`: no steering " +
                      "(GUIDE tags stay in the text as typed). GUIDE tags `<!-> … <-!>`, `<!!-> … <-!!>`, `<!!!-> … <-!!!>` in message contents " +
                      "add delta/2, delta, 2·delta to the tagged tokens' attention logits on every head; `<?-> … <-?>` marks the Influence span. " +
                      "The response reports what was applied in `steering_applied` (and `influence` when asked).",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["substrings"] = new OpenApiSchema
            {
                Description = "PASTA spans: text to emphasise, located in the message contents (first occurrence, messages in order, exact match). Not found: 400 naming steering.substrings[i].",
                OneOf = [new OpenApiSchema { Type = JsonSchemaType.String }, new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } }],
            },
            ["head_config"] = new OpenApiSchema
            {
                Description = "Layers and query heads PASTA steers: `{\"layer\": [heads]}` or `[layers]` (all heads of each). Default: the model's configured head set. See `GET /v1/models` for num_hidden_layers and num_attention_heads.",
                OneOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Integer } } },
                    new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                ],
            },
            ["alpha"] = new OpenApiSchema { Type = JsonSchemaType.Number, Default = JsonValue.Create(0.01), Description = "PASTA scaling coefficient, > 0; applied as the logit offset ln(alpha)." },
            ["scale_position"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String, Default = JsonValue.Create("exclude"),
                Enum = [JsonValue.Create("exclude"), JsonValue.Create("include"), JsonValue.Create("generation")],
                Description = "PASTA mode: which prompt key columns get ln(alpha)·(k−n(j)) (exclude), ln(alpha)·(n(j)−1) (include) or ln(alpha)·k (generation).",
            },
            ["delta"] = new OpenApiSchema { Type = JsonSchemaType.Number, Default = JsonValue.Create(1.0), Description = "GUIDE delta_mid." },
            ["influence"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String | JsonSchemaType.Null,
                Enum = [JsonValue.Create("influence"), JsonValue.Create("attention_rollout")],
                Description = "Compute the Influence metric (or Attention Rollout) for the `<?->` span, else the PASTA spans, and return it as `influence`.",
            },
            ["delta_influence"] = new OpenApiSchema { Type = JsonSchemaType.Number, Default = JsonValue.Create(0.0), Description = "The delta used on the span during the Influence pass." },
            ["steer_decode"] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Default = JsonValue.Create(true), Description = "false: offsets apply in the prefill only, not at decode steps." },
        },
    };
}
