using System.Net;
using System.Text.Json;
using SteerServer.Server.Tests.Infrastructure;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Api;

/// <summary>
/// Details a vLLM or HTTP client relies on, over a real socket: the headers of 401 and 405, the route label of
/// error responses, vLLM's sampling fields and continuous usage, and /tokenize agreeing with what is generated.
/// </summary>
public sealed class ProtocolDetailTests : IAsyncLifetime
{
    private const string Key = "proto-key";
    private KestrelServer server = null!;

    public async Task InitializeAsync() => server = await KestrelServer.StartAsync(new Dictionary<string, string?> { ["SteerServer:Auth:ApiKeys:0"] = Key });

    public async Task DisposeAsync() => await server.DisposeAsync();

    private async Task<HttpResponseMessage> PostAsync(string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json.Body(json) };
        request.Headers.Authorization = new("Bearer", Key);
        return await server.Http.SendAsync(request, Ct.Token);
    }

    private async Task<JsonElement> OkAsync(string path, string json)
    {
        using var r = await PostAsync(path, json);
        var body = await Json.ReadAsync(r);
        Assert.True(r.IsSuccessStatusCode, body.ToString());
        return body;
    }

    [Fact]
    public async Task Unauthorized_HasWwwAuthenticateBearer()
    {
        using var r = await server.Http.PostAsync("/v1/chat/completions", Json.Body("{}"), Ct.Token);
        await ApiErrors.AssertAsync(r, HttpStatusCode.Unauthorized, null, "invalid_api_key");
        Assert.Equal("Bearer", Assert.Single(r.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task WrongMethod_405WithAllow()
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, "/v1/chat/completions");
        get.Headers.Authorization = new("Bearer", Key);
        using var r = await server.Http.SendAsync(get, Ct.Token);
        await ApiErrors.AssertAsync(r, HttpStatusCode.MethodNotAllowed, null);
        Assert.Equal(["POST"], r.Content.Headers.Allow);
    }

    [Fact]
    public async Task ErrorResponses_CountedUnderTheirRoute()
    {
        using (var r = await PostAsync("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[],\"temperature\":9}"))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var metrics = await server.Http.GetStringAsync("/metrics");
        var lines = metrics.Split('\n').Where(l => l.StartsWith("steerserver_requests_total{", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.Contains("route=\"/v1/chat/completions\"") && l.Contains("status=\"400\""));
        Assert.DoesNotContain(lines, l => l.Contains("unmatched") && l.Contains("status=\"400\""));
    }

    private const string Story = "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"temperature\":0";

    private async Task<(string Text, int Tokens, string Finish)> CompleteAsync(string extra)
    {
        var r = await OkAsync("/v1/completions", Story + extra + "}");
        var choice = r.GetProperty("choices")[0];
        return (choice.GetProperty("text").GetString()!, r.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), choice.GetProperty("finish_reason").GetString()!);
    }

    /// <summary>logit_bias +100 makes a token the greedy choice at every step, so where the output ends is exact.</summary>
    [Fact]
    public async Task IgnoreEos_MinTokens_StopTokenIds()
    {
        const string forceEos = ",\"max_tokens\":20,\"logit_bias\":{\"2\":100}";
        Assert.Equal(("stop", 1), Shape(await CompleteAsync(forceEos)));
        Assert.Equal(("length", 20), Shape(await CompleteAsync(forceEos + ",\"ignore_eos\":true")));
        Assert.Equal(("stop", 6), Shape(await CompleteAsync(forceEos + ",\"min_tokens\":5"))); // EOS masked for 5 tokens

        const string force100 = ",\"max_tokens\":20,\"logit_bias\":{\"100\":100}";
        Assert.Equal(("length", 20), Shape(await CompleteAsync(force100)));
        var stopped = await CompleteAsync(force100 + ",\"stop_token_ids\":[100]");
        Assert.Equal(("stop", 1, ""), (stopped.Finish, stopped.Tokens, stopped.Text)); // the stop token is not in the text
        Assert.Equal(("stop", 4), Shape(await CompleteAsync(force100 + ",\"stop_token_ids\":[100],\"min_tokens\":3,\"ignore_eos\":true")));
    }

    private static (string, int) Shape((string Text, int Tokens, string Finish) r) => (r.Finish, r.Tokens);

    [Fact]
    public async Task RepetitionPenalty_ChangesGreedyOutput_Deterministically()
    {
        var plain = await CompleteAsync(",\"max_tokens\":60");
        var penalised = await CompleteAsync(",\"max_tokens\":60,\"repetition_penalty\":1.8");
        Assert.NotEqual(plain.Text, penalised.Text);
        Assert.Equal(penalised, await CompleteAsync(",\"max_tokens\":60,\"repetition_penalty\":1.8"));
        using var r = await PostAsync("/v1/completions", Story + ",\"repetition_penalty\":0}");
        await ApiErrors.AssertAsync(r, HttpStatusCode.BadRequest, "repetition_penalty");
    }

    [Theory]
    [InlineData("/v1/chat/completions", "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]")]
    [InlineData("/v1/completions", "\"prompt\":\"Once upon a time\"")]
    public async Task ContinuousUsageStats_UsageOnEveryChunk(string path, string prompt)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = Json.Body($"{{\"model\":\"stories260K\",{prompt},\"max_tokens\":12,\"temperature\":0,\"stream\":true,\"stream_options\":{{\"include_usage\":true,\"continuous_usage_stats\":true}}}}"),
        };
        request.Headers.Authorization = new("Bearer", Key);
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct.Token);
        var chunks = Sse.Json(await Sse.ReadAllAsync(response, Ct.Token));
        int previous = 0, promptTokens = -1;
        foreach (var c in chunks)
        {
            var usage = c.GetProperty("usage");
            int completion = usage.GetProperty("completion_tokens").GetInt32();
            Assert.True(completion >= previous);
            previous = completion;
            if (promptTokens < 0) promptTokens = usage.GetProperty("prompt_tokens").GetInt32();
            Assert.Equal(promptTokens, usage.GetProperty("prompt_tokens").GetInt32());
            Assert.Equal(completion + promptTokens, usage.GetProperty("total_tokens").GetInt32());
        }
        Assert.Equal(12, previous);
    }

    [Fact]
    public async Task Tokenize_Messages_TakesGuideTagsOut_AsGenerationDoes()
    {
        const string tagged = "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time there was a <!->red<-!> ball.\"}]}";
        const string plain = "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time there was a red ball.\"}]}";
        var a = await OkAsync("/tokenize", tagged);
        var b = await OkAsync("/tokenize", plain);
        Assert.Equal(b.GetProperty("tokens").ToString(), a.GetProperty("tokens").ToString());
        Assert.Equal(b.GetProperty("offsets").ToString(), a.GetProperty("offsets").ToString());
        Assert.DoesNotContain("<!->", a.GetProperty("prompt").GetString());
        var chat = await OkAsync("/v1/chat/completions", tagged.Replace("{\"messages\"", "{\"model\":\"stories260K\",\"max_tokens\":1,\"messages\""));
        Assert.Equal(a.GetProperty("count").GetInt32(), chat.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var span = chat.GetProperty("steering_applied").GetProperty("spans")[0];
        Assert.Equal("red", span.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Tokenize_TokenStrings_MatchTheCli()
    {
        const string text = "Hello </s> world 😀 <s>x";
        var api = await OkAsync("/tokenize", $"{{\"prompt\":{JsonSerializer.Serialize(text)}}}");
        await using var cli = ServerProcess.Launch(["tokenize", "--model", TestDataPaths.Models("stories260K"), "--text", text]);
        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        var printed = JsonDocument.Parse(cli.Output).RootElement;
        Assert.Equal(printed.GetProperty("ids").ToString(), api.GetProperty("tokens").ToString());
        Assert.Equal(printed.GetProperty("tokens").ToString(), api.GetProperty("token_strs").ToString());
    }

    /// <summary>token_spans (as bench takes them) steer a token-id prompt, which has no text for substrings.</summary>
    [Fact]
    public async Task Steering_TokenSpans_OnTokenIdPrompt()
    {
        var ids = (await OkAsync("/tokenize", "{\"prompt\":\"Once upon a time there was a little girl named Lily.\"}")).GetProperty("tokens").ToString();
        string Body(string steering) => $"{{\"model\":\"stories260K\",\"prompt\":{ids},\"max_tokens\":24,\"temperature\":0{steering}}}";
        var plain = await OkAsync("/v1/completions", Body(""));
        var steered = await OkAsync("/v1/completions", Body(",\"steering\":{\"token_spans\":[[8,11]],\"head_config\":[0,1],\"alpha\":0.001}"));
        var span = steered.GetProperty("steering_applied").GetProperty("spans")[0];
        Assert.Equal(("token_span", 8, 11), (span.GetProperty("source").GetString(), span.GetProperty("token_start").GetInt32(), span.GetProperty("token_end").GetInt32()));
        Assert.NotEqual(plain.GetProperty("choices")[0].GetProperty("text").GetString(), steered.GetProperty("choices")[0].GetProperty("text").GetString());

        using var outside = await PostAsync("/v1/completions", Body(",\"steering\":{\"token_spans\":[[8,99]],\"head_config\":[0]}"));
        await ApiErrors.AssertAsync(outside, HttpStatusCode.BadRequest, "steering.token_spans[0]");
        using var reversed = await PostAsync("/v1/completions", Body(",\"steering\":{\"token_spans\":[[5,5]],\"head_config\":[0]}"));
        await ApiErrors.AssertAsync(reversed, HttpStatusCode.BadRequest, "steering.token_spans[0]");
    }

    [Fact]
    public async Task Steering_TokenSpans_OnChat_ReportTheirText()
    {
        var chat = await OkAsync("/v1/chat/completions",
            "{\"model\":\"stories260K\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"steering\":{\"token_spans\":[[1,3]],\"head_config\":[0]}}");
        var span = chat.GetProperty("steering_applied").GetProperty("spans")[0];
        Assert.Equal("token_span", span.GetProperty("source").GetString());
        Assert.False(string.IsNullOrEmpty(span.GetProperty("text").GetString()));
    }
}
