using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using SteerServer.Server.Cli;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Backends.Torch.Tests;

/// <summary>
/// The real server with <c>serve --backend torch --device cpu</c> on a real socket (127.0.0.1), stories260K: streaming,
/// steering and Influence through the scheduler, the official OpenAI .NET client, a disconnect, overload. Texts and
/// Influence are compared with the same requests on the built-in cpu engine.
/// </summary>
public sealed class TorchServerTests
{
    // serve's own flags, mapped to configuration keys as the serve command does.
    private static Dictionary<string, string?> Serve(params string[] flags)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var arg in ServeCommand.ToConfigurationArgs(flags))
        {
            int eq = arg.IndexOf('=');
            settings[arg[2..eq]] = arg[(eq + 1)..];
        }
        return settings;
    }

    private static Task<KestrelServer> TorchAsync(params string[] flags) =>
        KestrelServer.StartAsync(Serve([.. flags, "--backend", "torch", "--device", "cpu", "--threads", "1"]));

    private static HttpRequestMessage Post(string path, string json) => new(HttpMethod.Post, path) { Content = Json.Body(json) };

    private static ChatClient Chat(KestrelServer server) =>
        new("stories260K", new ApiKeyCredential("no-key-needed"), new OpenAIClientOptions { Endpoint = server.V1, RetryPolicy = new ClientRetryPolicy(0) });

    private static async Task<(string Text, JsonElement? Report)> StreamAsync(KestrelServer server, string path, string json)
    {
        using var response = await server.Http.SendAsync(Post(path, json), HttpCompletionOption.ResponseHeadersRead, Ct.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var chunks = Sse.Json(await Sse.ReadAllAsync(response, Ct.Token));
        var text = new System.Text.StringBuilder();
        JsonElement? report = null;
        foreach (var c in chunks)
        {
            if (c.TryGetProperty("steering_applied", out _)) report = c;
            if (c.GetProperty("choices") is { ValueKind: JsonValueKind.Array } choices && choices.GetArrayLength() > 0)
                text.Append(choices[0].TryGetProperty("delta", out var d) ? d.TryGetProperty("content", out var t) ? t.GetString() : null
                    : choices[0].GetProperty("text").GetString());
        }
        return (text.ToString(), report);
    }

    [Fact]
    public async Task OpenAiClient_SteeredStreamedChat_SameTextAsTheCpuEngine()
    {
        await using var torch = await TorchAsync();
        await using var cpu = await KestrelServer.StartAsync();
        var info = await Json.PostAsync(torch.Http, "/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":1}", Ct.Token);
        Assert.Equal(1, info.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        async Task<(string Text, int Reports)> SteeredAsync(KestrelServer server)
        {
            var options = new ChatCompletionOptions { MaxOutputTokenCount = 40, Temperature = 0f };
#pragma warning disable SCME0001 // JsonPatch is experimental in the SDK
            options.Patch.Set("$.steering"u8, BinaryData.FromString("{\"substrings\":[\"little girl\"],\"head_config\":[0,1],\"alpha\":0.01}"));
            var text = new System.Text.StringBuilder();
            int reports = 0;
            await foreach (var update in Chat(server).CompleteChatStreamingAsync(
                [new UserChatMessage("Once upon a time, there was a little girl named Lily. She loved to play")], options, Ct.Token))
            {
                foreach (var part in update.ContentUpdate) text.Append(part.Text);
                if (update.Patch.Contains("$.steering_applied"u8))
                {
                    reports++;
                    var applied = JsonDocument.Parse(update.Patch.GetJson("$.steering_applied"u8).ToString()).RootElement;
                    Assert.Equal("little girl", applied.GetProperty("spans")[0].GetProperty("text").GetString());
                    Assert.Equal(16, applied.GetProperty("heads").GetInt32()); // 2 layers × 8 heads
                }
            }
#pragma warning restore SCME0001
            return (text.ToString(), reports);
        }

        var onTorch = await SteeredAsync(torch);
        var onCpu = await SteeredAsync(cpu);
        Assert.Equal(1, onTorch.Reports);
        Assert.True(onTorch.Text.Length > 40, onTorch.Text);
        Assert.Equal(onCpu.Text, onTorch.Text);

        // Steering changes what the torch backend generates.
        ChatCompletion plain = await Chat(torch).CompleteChatAsync(
            [new UserChatMessage("Once upon a time, there was a little girl named Lily. She loved to play")],
            new ChatCompletionOptions { MaxOutputTokenCount = 40, Temperature = 0f }, Ct.Token);
        Assert.NotEqual(plain.Content[0].Text, onTorch.Text);
    }

    [Fact]
    public async Task Streamed_EqualsNonStreamed_AndInfluence_MatchesTheCpuEngine()
    {
        await using var torch = await TorchAsync();
        await using var cpu = await KestrelServer.StartAsync();
        const string request = "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time, there was a <?->little girl<-?> named <!->Lily<-!>.\"}]," +
            "\"max_tokens\":24,\"temperature\":0,\"steering\":{\"influence\":\"influence\"}";
        var whole = await Json.PostAsync(torch.Http, "/v1/chat/completions", request + "}", Ct.Token);
        var (streamed, report) = await StreamAsync(torch, "/v1/chat/completions", request + ",\"stream\":true}");
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), streamed);
        var (onCpu, cpuReport) = await StreamAsync(cpu, "/v1/chat/completions", request + ",\"stream\":true}");
        Assert.Equal(onCpu, streamed);

        // Influence ran as scheduled work on the torch backend's eager (capture) path: the same vectors as the cpu engine.
        Assert.NotNull(report);
        int compared = AssertNumbersClose(cpuReport!.Value.GetProperty("influence"), report!.Value.GetProperty("influence"), "influence");
        Assert.True(compared > 20, $"only {compared} numbers in the influence report");
    }

    [Fact]
    public async Task Disconnect_MidStream_FreesTheWorker_AndCountsTheCancellation()
    {
        await using var server = await TorchAsync("--max-batch", "1", "--queue-length", "4");
        using var leavingClient = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.Address };
        using (var response = await leavingClient.SendAsync(
            Post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":500,\"n\":8,\"temperature\":0,\"stream\":true}"),
            HttpCompletionOption.ResponseHeadersRead, Ct.Token))
        {
            var events = Sse.ReadAsync(response, Ct.Token).GetAsyncEnumerator(Ct.Token);
            for (int i = 0; i < 3; i++) Assert.True(await events.MoveNextAsync());
            await events.DisposeAsync();
        } // the client leaves mid-stream

        // One batch slot: this runs only once the abandoned request has left the batch.
        var next = await Json.PostAsync(server.Http, "/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}", Ct.Token);
        Assert.Equal(20, next.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        for (int i = 0; i < 100 && await server.MetricAsync("steerserver_cancelled_requests_total") < 1; i++) await Task.Delay(50);
        Assert.Equal(1, await server.MetricAsync("steerserver_cancelled_requests_total"));
        Assert.True(await server.MetricAsync("steerserver_generation_tokens_total") < 8 * 500 + 20);
    }

    [Fact]
    public async Task Overload_BurstGets429WithRetryAfter_AcceptedOnesComplete()
    {
        await using var server = await TorchAsync("--max-batch", "1", "--queue-length", "1");
        using var longResponse = await server.Http.SendAsync(
            Post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"n\":8,\"temperature\":0,\"stream\":true}"),
            HttpCompletionOption.ResponseHeadersRead, Ct.Token);
        var longEvents = Sse.ReadAsync(longResponse, Ct.Token).GetAsyncEnumerator(Ct.Token);
        Assert.True(await longEvents.MoveNextAsync()); // it holds the only batch slot

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            try
            {
                ChatCompletion c = await Chat(server).CompleteChatAsync([new UserChatMessage("Once upon a time")],
                    new ChatCompletionOptions { MaxOutputTokenCount = 3, Temperature = 0f }, Ct.Token);
                return (Status: 200, RetryAfter: (string?)null, Tokens: c.Usage.OutputTokenCount);
            }
            catch (ClientResultException e)
            {
                var raw = e.GetRawResponse();
                return (Status: e.Status, RetryAfter: raw != null && raw.Headers.TryGetValue("Retry-After", out var v) ? v : null, Tokens: 0);
            }
        }));

        Assert.Contains(results, r => r.Status == 429);
        Assert.All(results, r => Assert.True(r.Status is 200 or 429, $"status {r.Status}"));
        Assert.All(results.Where(r => r.Status == 429), r => Assert.NotNull(r.RetryAfter));
        Assert.All(results.Where(r => r.Status == 200), r => Assert.Equal(3, r.Tokens));
        string last = longEvents.Current;
        while (await longEvents.MoveNextAsync()) last = longEvents.Current;
        Assert.Equal("[DONE]", last); // and the long request still completes
    }

    // Two JSON trees with the same shape; numbers within the Influence tolerance, everything else equal.
    // Returns how many numbers were compared.
    private static int AssertNumbersClose(JsonElement expected, JsonElement actual, string path)
    {
        Assert.Equal(expected.ValueKind, actual.ValueKind);
        int count = 0;
        switch (expected.ValueKind)
        {
            case JsonValueKind.Number:
                Assert.True(Math.Abs(expected.GetDouble() - actual.GetDouble()) <= TestData.Tolerances.Influence,
                    $"{path}: {actual.GetDouble():g6}, cpu engine {expected.GetDouble():g6}");
                return 1;
            case JsonValueKind.Array:
                Assert.Equal(expected.GetArrayLength(), actual.GetArrayLength());
                for (int i = 0; i < expected.GetArrayLength(); i++) count += AssertNumbersClose(expected[i], actual[i], $"{path}[{i}]");
                return count;
            case JsonValueKind.Object:
                foreach (var p in expected.EnumerateObject()) count += AssertNumbersClose(p.Value, actual.GetProperty(p.Name), $"{path}.{p.Name}");
                return count;
            default:
                Assert.Equal(expected.GetRawText(), actual.GetRawText());
                return 0;
        }
    }
}
