using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Observability;

/// <summary>The console log of the real binary: compact JSON with the request's generation fields, prompts only on request, one line per event.</summary>
public sealed partial class LoggingTests
{
    private const string Marker = "purple xylophone";
    private const string RequestLogger = "Serilog.AspNetCore.RequestLoggingMiddleware";

    private static HttpRequestMessage Chat(string requestId, string extra = "") =>
        new(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json.Body($$"""{"model":"stories260K","max_tokens":6,"temperature":0,"messages":[{"role":"user","content":"Once upon a time there was a <!->{{Marker}}<-!> in the park"}]{{extra}}}"""),
            Headers = { { "X-Request-Id", requestId } },
        };

    [Fact]
    public async Task JsonFormat_RequestEvent_CarriesGenerationFieldsAndNoPrompt()
    {
        await using var server = await ServerProcess.StartAsync("--log-format", "json");
        using var response = await server.Http.SendAsync(Chat("json-log-1"), Ct.Token);
        var body = await Json.ReadAsync(response, Ct.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await server.WaitForLineAsync(l => l.Contains(RequestLogger, StringComparison.Ordinal) && l.Contains("json-log-1", StringComparison.Ordinal));

        // Every line is one compact-JSON event (CLEF): a timestamp and a template or message.
        var events = server.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(events, e => Assert.True(e.TryGetProperty("@t", out _) && (e.TryGetProperty("@mt", out _) || e.TryGetProperty("@m", out _)), e.ToString()));
        var request = Assert.Single(events, e => e.TryGetProperty("SourceContext", out var s) && s.GetString() == RequestLogger
                                                 && e.GetProperty("RequestId").GetString() == "json-log-1");
        var usage = body.GetProperty("usage");
        Assert.Equal(200, request.GetProperty("StatusCode").GetInt32());
        Assert.Equal("POST", request.GetProperty("RequestMethod").GetString());
        Assert.Equal("/v1/chat/completions", request.GetProperty("Route").GetString());
        Assert.Equal("stories260K", request.GetProperty("Model").GetString());
        Assert.True(request.GetProperty("Steered").GetBoolean());
        Assert.False(request.GetProperty("Stream").GetBoolean());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), request.GetProperty("PromptTokens").GetInt32());
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt32(), request.GetProperty("CompletionTokens").GetInt32());
        Assert.Equal("length", request.GetProperty("FinishReason").GetString());
        Assert.True(request.GetProperty("TtftMs").GetDouble() > 0);
        Assert.True(request.GetProperty("TokensPerSecond").GetDouble() > 0);
        Assert.True(request.GetProperty("Elapsed").GetDouble() >= request.GetProperty("TtftMs").GetDouble());

        Assert.DoesNotContain(server.Lines, l => l.Contains(Marker, StringComparison.Ordinal)); // no prompt text by default
    }

    [Fact]
    public async Task TextFormat_ClientStrings_StayOnOneLine()
    {
        await using var server = await ServerProcess.StartAsync();
        // A newline in an unknown field's name, in the path, and a terminal escape: each tries to start a forged line.
        using var response = await server.Http.SendAsync(Chat("text-log-1", ",\"x\\nFORGED INF forged\\u001b[2J\":1"), Ct.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var notFound = await server.Http.GetAsync("/v1/%0AFORGED%0D%0AFORGED", Ct.Token);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        await server.WaitForLineAsync(l => l.Contains("GET /v1/", StringComparison.Ordinal) && l.Contains(" 404 ", StringComparison.Ordinal));
        var request = await server.WaitForLineAsync(l => l.Contains("text-log-1 POST", StringComparison.Ordinal));

        Assert.All(server.Lines, l => Assert.Matches(EventLine(), l));
        Assert.Contains(server.Lines, l => l.Contains(@"x\nFORGED INF forged\u001b[2J", StringComparison.Ordinal));
        Assert.Contains(server.Lines, l => l.Contains(@"/v1/\nFORGED\r\nFORGED 404", StringComparison.Ordinal));
        // The text format carries the request's generation fields too.
        foreach (var field in new[] { "Model=stories260K", "Steered=true", "PromptTokens=", "CompletionTokens=6", "TtftMs=", "TokensPerSecond=" })
            Assert.Contains(field, request);
        Assert.DoesNotContain(server.Lines, l => l.Contains(Marker, StringComparison.Ordinal)); // no prompt text by default
    }

    [Fact]
    public async Task LogPrompts_OnItsOwn_LogsThePrompt()
    {
        await using var server = await ServerProcess.StartAsync("--log-prompts");
        using var response = await server.Http.SendAsync(Chat("prompt-log-1"), Ct.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = await server.WaitForLineAsync(l => l.Contains("prompt-log-1 prompt", StringComparison.Ordinal));
        Assert.Contains(Marker, line); // the tags are gone: the text the model saw
        Assert.DoesNotContain("<!->", line);
    }

    [Fact]
    public async Task UnknownLogFormat_RefusedAtStart()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync("--log-format", "xml"));
        Assert.Contains("--log-format (SteerServer:Logging:Format) must be text or json, got 'xml'", e.Message);
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} (VRB|DBG|INF|WRN|ERR|FTL) ")]
    private static partial Regex EventLine();
}
