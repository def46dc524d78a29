using System.Net;
using SteerServer.Server.Cli;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Api;

/// <summary>
/// The request-size limits (<c>SteerServer:Limits</c>) over real HTTP: each is a 400 naming the parameter, the
/// request just inside a limit is served, and the server keeps serving after a refusal.
/// </summary>
public sealed class RequestLimitsTests
{
    private const string M = "\"model\":\"stories260K\"";

    private static async Task<HttpResponseMessage> PostAsync(KestrelServer server, string path, string json) =>
        await server.Http.PostAsync(path, Json.Body(json), Ct.Token);

    private static string Prompts(int count) => "[" + string.Join(",", Enumerable.Repeat("\"Once\"", count)) + "]";

    [Fact]
    public async Task Defaults_N17Refused_N16Served_200PromptsRefused()
    {
        await using var server = await KestrelServer.StartAsync();
        await ApiErrors.AssertAsync(await PostAsync(server, "/v1/chat/completions",
            $"{{{M},\"messages\":[{{\"role\":\"user\",\"content\":\"Hi\"}}],\"n\":17,\"max_tokens\":1}}"), HttpStatusCode.BadRequest, "n", "invalid_value");
        using var ok = await PostAsync(server, "/v1/chat/completions", $"{{{M},\"messages\":[{{\"role\":\"user\",\"content\":\"Hi\"}}],\"n\":16,\"max_tokens\":1}}");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        // The case: 200 prompts × n 128 was accepted as 25,600 sequences.
        await ApiErrors.AssertAsync(await PostAsync(server, "/v1/completions", $"{{{M},\"prompt\":{Prompts(200)},\"n\":128,\"max_tokens\":1}}"),
            HttpStatusCode.BadRequest, "prompt", "invalid_value");
    }

    [Fact]
    public async Task Configured_EachLimitRefusedWith400NamingTheParameter_AndJustInsideIsServed()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?>
        {
            ["SteerServer:Limits:MaxN"] = "3",
            ["SteerServer:Limits:MaxPrompts"] = "4",
            ["SteerServer:Limits:MaxSequences"] = "6",
        });
        await ApiErrors.AssertAsync(await PostAsync(server, "/v1/completions", $"{{{M},\"prompt\":\"Once\",\"n\":4,\"max_tokens\":1}}"),
            HttpStatusCode.BadRequest, "n", "invalid_value");
        await ApiErrors.AssertAsync(await PostAsync(server, "/v1/completions", $"{{{M},\"prompt\":{Prompts(5)},\"max_tokens\":1}}"),
            HttpStatusCode.BadRequest, "prompt", "invalid_value");
        // Token-id prompts count the same way as text prompts.
        await ApiErrors.AssertAsync(await PostAsync(server, "/v1/completions", $"{{{M},\"prompt\":[[1,403],[1,403],[1,403],[1,403],[1,403]],\"max_tokens\":1}}"),
            HttpStatusCode.BadRequest, "prompt", "invalid_value");
        // 4 prompts × n 2 = 8 sequences > 6, though each of n and the prompt count is within its own limit.
        using var tooMany = await PostAsync(server, "/v1/completions", $"{{{M},\"prompt\":{Prompts(4)},\"n\":2,\"max_tokens\":1}}");
        var error = await ApiErrors.AssertAsync(tooMany, HttpStatusCode.BadRequest, "n", "invalid_value");
        Assert.Contains("8 sequences", error.GetProperty("message").GetString());

        using var inside = await PostAsync(server, "/v1/completions", $"{{{M},\"prompt\":{Prompts(2)},\"n\":3,\"max_tokens\":1}}");
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
        var choices = System.Text.Json.JsonDocument.Parse(await inside.Content.ReadAsStringAsync(Ct.Token)).RootElement.GetProperty("choices");
        Assert.Equal(6, choices.GetArrayLength());
    }

    [Fact]
    public void ServeFlags_MapToTheLimitsKeys()
    {
        var args = ServeCommand.ToConfigurationArgs(["--max-n", "4", "--max-prompts", "8", "--max-sequences", "16"]);
        Assert.Contains("--SteerServer:Limits:MaxN=4", args);
        Assert.Contains("--SteerServer:Limits:MaxPrompts=8", args);
        Assert.Contains("--SteerServer:Limits:MaxSequences=16", args);
    }
}
