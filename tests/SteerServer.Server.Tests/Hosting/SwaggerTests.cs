using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Hosting;

/// <summary>The OpenAPI document Swagger UI shows: Markdown-safe descriptions, examples the server accepts, both 200 media types.</summary>
public sealed partial class SwaggerTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private async Task<JsonElement> DocumentAsync() =>
        await Json.ReadAsync(await factory.CreateClient().GetAsync("/swagger/v1/swagger.json", Ct.Token), Ct.Token);

    [Fact]
    public async Task SteeringDescription_GuideTagsInCodeSpans()
    {
        var doc = await DocumentAsync();
        var steering = doc.GetProperty("components").GetProperty("schemas").GetProperty("ChatCompletionRequest").GetProperty("properties").GetProperty("steering");
        var description = steering.GetProperty("description").GetString()!;
        foreach (var tag in new[] { "`<!-> … <-!>`", "`<!!-> … <-!!>`", "`<!!!-> … <-!!!>`", "`<?-> … <-?>`" })
            Assert.Contains(tag, description);
        // Swagger UI renders Markdown and drops raw HTML: no '<' may stand outside a code span in any description.
        var descriptions = new List<string>();
        Collect(doc, descriptions);
        Assert.True(descriptions.Count > 20);
        Assert.All(descriptions, d => Assert.DoesNotContain('<', CodeSpan().Replace(d, "")));
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/completions")]
    [InlineData("/tokenize")]
    [InlineData("/detokenize")]
    public async Task Example_IsARequestTheServerAnswers(string path)
    {
        var doc = await DocumentAsync();
        var example = doc.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("example");
        Assert.Equal(ServerFactory.ModelName, example.GetProperty("model").GetString());
        using var response = await factory.CreateClient().PostAsync(path, Json.Body(example.GetRawText()), Ct.Token);
        var body = await Json.ReadAsync(response, Ct.Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        if (path.StartsWith("/v1/", StringComparison.Ordinal))
        {
            var spans = body.GetProperty("steering_applied").GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("source").GetString()).ToList();
            Assert.Contains("substring", spans); // the example shows both kinds of steering
            Assert.Contains("guide", spans);
        }
    }

    [Theory]
    [InlineData("/v1/chat/completions", "ChatCompletionResponse")]
    [InlineData("/v1/completions", "TextCompletionResponse")]
    public async Task Ok_DescribesJsonWithSteeringFields_AndTheEventStream(string path, string schema)
    {
        var doc = await DocumentAsync();
        var ok = doc.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("responses").GetProperty("200");
        Assert.Contains("steering_applied", ok.GetProperty("description").GetString());
        Assert.True(ok.GetProperty("content").TryGetProperty("text/event-stream", out _));
        Assert.Equal("#/components/schemas/" + schema, ok.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        var schemas = doc.GetProperty("components").GetProperty("schemas");
        var properties = schemas.GetProperty(schema).GetProperty("properties");
        Assert.Equal("#/components/schemas/SteeringApplied", properties.GetProperty("steering_applied").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/InfluenceReport", properties.GetProperty("influence").GetProperty("$ref").GetString());
        foreach (var (type, fields) in new[] { ("SteeringApplied", new[] { "spans", "layers", "heads" }), ("InfluenceReport", ["metric", "tokens", "layers"]),
                     ("SteeredSpan", ["text", "source", "token_start", "token_end", "offset"]) })
            foreach (var field in fields)
                Assert.False(string.IsNullOrEmpty(schemas.GetProperty(type).GetProperty("properties").GetProperty(field).GetProperty("description").GetString()), $"{type}.{field}");
    }

    private static void Collect(JsonElement e, List<string> descriptions)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name is "description" or "summary" && p.Value.ValueKind == JsonValueKind.String) descriptions.Add(p.Value.GetString()!);
                else Collect(p.Value, descriptions);
            }
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray()) Collect(item, descriptions);
    }

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();
}
