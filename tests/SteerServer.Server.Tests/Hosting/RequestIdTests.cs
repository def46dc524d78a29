using System.Net;
using SteerServer.Server.Hosting;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Hosting;

/// <summary><c>X-Request-Id</c>: echoed when it is a plain token, made up otherwise, on every response, and the completion id's suffix.</summary>
public sealed class RequestIdTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string ChatJson = """{"model":"stories260K","max_tokens":2,"messages":[{"role":"user","content":"Once"}]}""";

    private async Task<(HttpResponseMessage Response, string Id)> SendAsync(HttpMethod method, string path, string? json, string? requestId, bool stream = false)
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Json.Body(json) };
        if (requestId is not null) request.Headers.TryAddWithoutValidation("X-Request-Id", requestId);
        var response = await factory.CreateClient().SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, Ct.Token);
        return (response, Assert.Single(response.Headers.GetValues("X-Request-Id")));
    }

    [Fact]
    public async Task ClientId_Echoed_AndIsTheCompletionIdSuffix()
    {
        var (response, id) = await SendAsync(HttpMethod.Post, "/v1/chat/completions", ChatJson, "req-0f3a.b_c:9");
        Assert.Equal("req-0f3a.b_c:9", id);
        Assert.Equal("chatcmpl-req-0f3a.b_c:9", (await Json.ReadAsync(response, Ct.Token)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task NoClientId_FreshIdPerRequest_TiedToTheCompletionId()
    {
        var (first, id1) = await SendAsync(HttpMethod.Post, "/v1/completions", """{"model":"stories260K","prompt":"Once","max_tokens":2}""", null);
        var (_, id2) = await SendAsync(HttpMethod.Get, "/v1/models", null, null);
        Assert.Matches("^[0-9a-f]{32}$", id1);
        Assert.NotEqual(id1, id2);
        Assert.Equal("cmpl-" + id1, (await Json.ReadAsync(first, Ct.Token)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Streaming_EveryChunkCarriesTheId()
    {
        var (response, id) = await SendAsync(HttpMethod.Post, "/v1/chat/completions", ChatJson[..^1] + ",\"stream\":true}", "stream-id-1", stream: true);
        Assert.Equal("stream-id-1", id);
        var chunks = Sse.Json(await Sse.ReadAllAsync(response, Ct.Token));
        Assert.All(chunks, c => Assert.Equal("chatcmpl-stream-id-1", c.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("quote\"and{braces}")]
    [InlineData("ünïcode")]
    public async Task OddClientId_Replaced(string sent)
    {
        var (_, id) = await SendAsync(HttpMethod.Get, "/v1/models", null, sent);
        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    [Fact]
    public async Task OverlongClientId_Replaced()
    {
        var (_, id) = await SendAsync(HttpMethod.Get, "/v1/models", null, new string('a', 129));
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(new string('a', 128), (await SendAsync(HttpMethod.Get, "/v1/models", null, new string('a', 128))).Id);
    }

    [Fact]
    public async Task ErrorResponses_CarryTheId()
    {
        var (bad, id) = await SendAsync(HttpMethod.Post, "/v1/chat/completions", "{not json", "bad-json-1");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("bad-json-1", id);
        var (missing, id2) = await SendAsync(HttpMethod.Get, "/no/such/route", null, "missing-1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("missing-1", id2);
    }

    [Fact]
    public void Accept_OnlyPlainTokens()
    {
        Assert.Equal("a-B_9.z:1", RequestIdMiddleware.Accept("a-B_9.z:1"));
        Assert.Null(RequestIdMiddleware.Accept(""));
        Assert.Null(RequestIdMiddleware.Accept("a\nb"));
        Assert.Null(RequestIdMiddleware.Accept("a/b"));
    }
}
