using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Api;

/// <summary>
/// The worker under load on a real socket: overload answers 429 + Retry-After while every accepted request
/// completes; a disconnect frees the batch slot and is counted; concurrent streams batch together and each
/// equals the same request alone. No timing assertions.
/// </summary>
public sealed class WorkerLoadTests
{
    private static HttpRequestMessage Stream(string json) => new(HttpMethod.Post, "/v1/completions") { Content = Json.Body(json) };

    [Fact]
    public async Task Overload_QueueOfOne_BurstGets429WithRetryAfter_AcceptedComplete()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?>
        {
            ["SteerServer:Queue:MaxBatch"] = "1",
            ["SteerServer:Queue:MaxQueue"] = "1",
        });
        // A long request holds the only batch slot: 8 choices of 400 tokens run one after another.
        using var longRequest = Stream("{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"n\":8,\"temperature\":0,\"stream\":true}");
        using var longResponse = await server.Http.SendAsync(longRequest, HttpCompletionOption.ResponseHeadersRead, Ct.Token);
        var longEvents = Sse.ReadAsync(longResponse, Ct.Token).GetAsyncEnumerator(Ct.Token);
        Assert.True(await longEvents.MoveNextAsync()); // it is running

        var client = new ChatClient("stories260K", new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = server.V1, RetryPolicy = new ClientRetryPolicy(0) });
        var burst = Enumerable.Range(0, 6).Select(async _ =>
        {
            try
            {
                ChatCompletion c = await client.CompleteChatAsync([new UserChatMessage("Once upon a time")], new ChatCompletionOptions { MaxOutputTokenCount = 3, Temperature = 0f }, Ct.Token);
                return (Status: 200, RetryAfter: (string?)null, Tokens: c.Usage.OutputTokenCount);
            }
            catch (ClientResultException e)
            {
                var raw = e.GetRawResponse();
                string? retryAfter = raw != null && raw.Headers.TryGetValue("Retry-After", out var v) ? v : null;
                return (Status: e.Status, RetryAfter: retryAfter, Tokens: 0);
            }
        }).ToList();
        var results = await Task.WhenAll(burst);

        Assert.Contains(results, r => r.Status == 429);
        Assert.All(results, r => Assert.True(r.Status is 200 or 429, $"status {r.Status}"));
        Assert.All(results.Where(r => r.Status == 429), r => Assert.Equal("1", r.RetryAfter));
        Assert.All(results.Where(r => r.Status == 200), r => Assert.Equal(3, r.Tokens)); // accepted ones complete
        Assert.Contains(results, r => r.Status == 200);

        int finishes = 0;
        while (await longEvents.MoveNextAsync())
            if (longEvents.Current != "[DONE]" && JsonDocument.Parse(longEvents.Current).RootElement.GetProperty("choices") is { } ch && ch.GetArrayLength() > 0
                && ch[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String) finishes++;
        Assert.Equal(8, finishes); // the long request completed too
        Assert.True(await server.MetricAsync("steerserver_rejected_requests_total") >= 1);
    }

    [Fact]
    public async Task Disconnect_MidStream_FreesWorkerAndCountsCancellation()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?>
        {
            ["SteerServer:Queue:MaxBatch"] = "1",
            ["SteerServer:Queue:MaxQueue"] = "4",
        });
        Assert.Equal(0, await server.MetricAsync("steerserver_cancelled_requests_total"));
        // 8 choices × 500 tokens, one after another in the single batch slot: far more work than the client waits for.
        // No response draining: HttpClient would otherwise read the rest of a short stream to reuse the connection,
        // and on a fast machine the server could finish the whole job within that drain instead of seeing the client leave.
        using var leavingClient = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.Address };
        using (var request = Stream("{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":500,\"n\":8,\"temperature\":0,\"stream\":true}"))
        using (var response = await leavingClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct.Token))
        {
            var events = Sse.ReadAsync(response, Ct.Token).GetAsyncEnumerator(Ct.Token);
            for (int i = 0; i < 3; i++) Assert.True(await events.MoveNextAsync());
            await events.DisposeAsync();
        } // the client goes away mid-stream

        // With one batch slot, the next request can only run once the abandoned one has left the batch.
        var next = await Json.PostAsync(server.Http, "/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}", Ct.Token);
        Assert.Equal(20, next.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        for (int i = 0; i < 100 && await server.MetricAsync("steerserver_cancelled_requests_total") < 1; i++) await Task.Delay(50);
        Assert.Equal(1, await server.MetricAsync("steerserver_cancelled_requests_total"));
        Assert.True(await server.MetricAsync("steerserver_generation_tokens_total") < 8 * 500 + 20); // the abandoned one stopped early
    }

    [Fact]
    public async Task EightConcurrentStreams_AllComplete_BatchedAndEachIdenticalToAlone()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?> { ["SteerServer:Queue:MaxBatch"] = "8" });
        string[] prompts = ["Once upon a time", "Lily saw a big dog", "Tom and Sue went to the park", "The sun was hot",
            "One day, a little bird", "Ben had a red ball", "The cat sat on the mat", "Mom said"];
        string Request(string prompt) => $"{{\"model\":\"stories260K\",\"prompt\":\"{prompt}\",\"max_tokens\":120,\"temperature\":0,\"stream\":true}}";

        async Task<string> StreamTextAsync(string prompt)
        {
            using var request = Stream(Request(prompt));
            using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var chunks = Sse.Json(await Sse.ReadAllAsync(response, Ct.Token));
            return string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        }

        var alone = new List<string>();
        foreach (var p in prompts) alone.Add(await StreamTextAsync(p));
        double batchedBefore = await BatchedStepsAsync(server);
        var together = await Task.WhenAll(prompts.Select(StreamTextAsync));
        Assert.Equal(alone, together);
        Assert.True(await BatchedStepsAsync(server) > batchedBefore, "no decode step ran more than one sequence");
    }

    /// <summary>Decode steps that ran two or more sequences together.</summary>
    private static async Task<double> BatchedStepsAsync(KestrelServer server)
    {
        var text = await server.Http.GetStringAsync("/metrics");
        double sum = 0;
        foreach (var line in text.Split('\n'))
            if (line.StartsWith("steerserver_decode_steps_total{batch_size=\"", StringComparison.Ordinal) && !line.Contains("batch_size=\"1\"", StringComparison.Ordinal))
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return sum;
    }
}
