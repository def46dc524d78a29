using System.Text.Json.Nodes;
using SteerServer.Server.Contracts;

namespace SteerServer.Server.Hosting;

/// <summary>
/// The request bodies Swagger UI's "Try it out" sends: each one a request the server answers with 200 (tests post
/// them). Without them Swagger UI makes one up from the schema, with <c>"tools": "string"</c> and the like.
/// <c>model</c> is filled in with the served model's name when the document is made.
/// </summary>
public static class OpenApiExamples
{
    private static readonly Dictionary<Type, string> Bodies = new()
    {
        [typeof(ChatCompletionRequest)] = """
            {"model": "", "messages": [{"role": "user", "content": "Once upon a time there was a <!->little girl<-!> who loved to play."}],
             "max_tokens": 32, "temperature": 0,
             "steering": {"substrings": ["play"], "head_config": [0], "alpha": 0.01}}
            """,
        [typeof(CompletionRequest)] = """
            {"model": "", "prompt": "Once upon a time there was a <!->little girl<-!> who loved to play.",
             "max_tokens": 32, "temperature": 0,
             "steering": {"substrings": ["play"], "head_config": [0], "alpha": 0.01}}
            """,
        [typeof(TokenizeRequest)] = """{"model": "", "prompt": "Once upon a time"}""",
        [typeof(DetokenizeRequest)] = """{"model": "", "tokens": [1, 2, 3]}""",
    };

    /// <summary>The example body for <paramref name="bodyType"/> with <paramref name="model"/> as its model, or null.</summary>
    public static JsonNode? For(Type bodyType, string model)
    {
        if (!Bodies.TryGetValue(bodyType, out var json)) return null;
        var body = JsonNode.Parse(json)!;
        body["model"] = model;
        return body;
    }
}
