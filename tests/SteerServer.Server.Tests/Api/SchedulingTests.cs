using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SteerServer.Models.Errors;
using SteerServer.Server.Options;
using SteerServer.Server.Tests.Infrastructure;
using SteerServer.Server.Worker;

namespace SteerServer.Server.Tests.Api;

/// <summary>
/// The token-budget scheduler through real HTTP: Influence as a job beside live streams, a cancelled long prefill,
/// n choices sharing one prefill, and the Influence memory limit. No timing assertions.
/// </summary>
public sealed class SchedulingTests
{
    private static string Ids(int count, int seed)
    {
        var rng = new Random(seed);
        return string.Join(',', Enumerable.Range(0, count).Select(i => i == 0 ? 1 : rng.Next(3, 512)));
    }

    private static HttpRequestMessage Post(string path, string json) => new(HttpMethod.Post, path) { Content = Json.Body(json) };

    private const string InfluenceChat =
        "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time there was a <?->little dog<-?> who ran to the park.\"}]," +
        "\"max_tokens\":6,\"temperature\":0,\"steering\":{\"influence\":\"influence\"}}";

    [Fact]
    public async Task NChoices_ShareOnePrefill_CountedOnceInPromptTokensComputed()
    {
        await using var server = await KestrelServer.StartAsync();
        double before = await server.MetricAsync("steerserver_prompt_tokens_computed_total");
        var body = await Json.PostAsync(server.Http, "/v1/completions",
            $"{{\"model\":\"stories260K\",\"prompt\":[{Ids(60, 1)}],\"n\":4,\"max_tokens\":8,\"temperature\":0}}", Ct.Token);
        var texts = body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToList();
        Assert.Equal(4, texts.Count);
        Assert.All(texts, t => Assert.Equal(texts[0], t)); // greedy: every choice continues the one shared prefill alike
        Assert.Equal(60, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(60, await server.MetricAsync("steerserver_prompt_tokens_computed_total") - before);
    }

    [Fact]
    public async Task Influence_WhileStreamsAreLive_IsTheSameAsAlone_AndTheStreamsComplete()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?> { ["SteerServer:Queue:MaxStepTokens"] = "16" });
        var alone = await Json.PostAsync(server.Http, "/v1/chat/completions", InfluenceChat, Ct.Token);

        var streams = new List<(HttpResponseMessage Response, IAsyncEnumerator<string> Events)>();
        for (int i = 0; i < 3; i++)
        {
            var response = await server.Http.SendAsync(Post("/v1/completions",
                $"{{\"model\":\"stories260K\",\"prompt\":[{Ids(5, 10 + i)}],\"max_tokens\":300,\"temperature\":0,\"stream\":true}}"),
                HttpCompletionOption.ResponseHeadersRead, Ct.Token);
            var events = Sse.ReadAsync(response, Ct.Token).GetAsyncEnumerator(Ct.Token);
            Assert.True(await events.MoveNextAsync()); // decoding
            streams.Add((response, events));
        }
        var during = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Json.PostAsync(server.Http, "/v1/chat/completions", InfluenceChat, Ct.Token)));
        foreach (var d in during)
        {
            Assert.Equal("influence", d.GetProperty("influence").GetProperty("metric").GetString());
            Assert.Equal(alone.GetProperty("influence").GetRawText(), d.GetProperty("influence").GetRawText());
            Assert.Equal(alone.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(),
                d.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        }
        foreach (var (response, events) in streams)
        {
            int tokens = 0;
            while (await events.MoveNextAsync())
                if (events.Current != "[DONE]") tokens += JsonDocument.Parse(events.Current).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!.Length > 0 ? 1 : 0;
            Assert.True(tokens > 0);
            await events.DisposeAsync();
            response.Dispose();
        }
        Assert.Equal(0, server.Services.GetRequiredService<InfluenceBudget>().UsedBytes); // every capture released
    }

    [Fact]
    public async Task CancelledLongPrefill_StopsCostingWork()
    {
        // Seven streams take 7 of the 8 tokens of every step, so the long prompt advances one token per step:
        // the client leaves while it is still being computed.
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?>
        {
            ["SteerServer:Queue:MaxBatch"] = "8",
            ["SteerServer:Queue:MaxStepTokens"] = "8",
            ["SteerServer:Queue:TargetStepMs"] = "0", // a fixed budget (the step target would give prompts at least 16 tokens)
        });
        var streams = new List<Task<List<string>>>();
        for (int i = 0; i < 7; i++)
            streams.Add(Task.Run(async () =>
            {
                using var response = await server.Http.SendAsync(Post("/v1/completions",
                    $"{{\"model\":\"stories260K\",\"prompt\":[{Ids(4, 20 + i)}],\"max_tokens\":500,\"temperature\":0,\"stream\":true,\"ignore_eos\":true}}"),
                    HttpCompletionOption.ResponseHeadersRead, Ct.Token);
                return await Sse.ReadAllAsync(response, Ct.Token);
            }));
        double streamPrompts = 7 * 4;
        while (await server.MetricAsync("steerserver_prompt_tokens_computed_total") < streamPrompts) await Task.Delay(10, Ct.Token);

        var messages = "[{\"role\":\"user\",\"content\":\"" + string.Concat(Enumerable.Repeat("Once upon a time there was a dog. ", 40)) + "\"}]";
        int promptTokens = (await Json.PostAsync(server.Http, "/tokenize", $"{{\"model\":\"stories260K\",\"messages\":{messages}}}", Ct.Token)).GetProperty("count").GetInt32();
        using var leavingClient = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.Address };
        using (var response = await leavingClient.SendAsync(Post("/v1/chat/completions",
            $"{{\"model\":\"stories260K\",\"messages\":{messages},\"max_tokens\":5,\"stream\":true}}"), HttpCompletionOption.ResponseHeadersRead, Ct.Token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Leave once its prefill has begun.
            while (await server.MetricAsync("steerserver_prompt_tokens_computed_total") <= streamPrompts) await Task.Delay(5, Ct.Token);
        }
        for (int i = 0; i < 200 && await server.MetricAsync("steerserver_cancelled_requests_total") < 1; i++) await Task.Delay(25, Ct.Token);
        Assert.Equal(1, await server.MetricAsync("steerserver_cancelled_requests_total"));
        // The handler counts the cancellation; the worker drops the sequence at its next step (a few ms later, longer on
        // a loaded machine): wait until the count holds still over 300 ms. A prefill that goes on never holds still.
        double computed = await server.MetricAsync("steerserver_prompt_tokens_computed_total") - streamPrompts;
        for (int i = 0; i < 40; i++)
        {
            await Task.Delay(300, Ct.Token);
            double now = await server.MetricAsync("steerserver_prompt_tokens_computed_total") - streamPrompts;
            if (now == computed) break;
            computed = now;
        }
        await Task.WhenAll(streams); // the others run to the end, with nothing more spent on the abandoned prompt
        Assert.Equal(computed, await server.MetricAsync("steerserver_prompt_tokens_computed_total") - streamPrompts);
        Assert.InRange(computed, 1, promptTokens - 1); // it stopped inside the prompt
        foreach (var s in streams) Assert.Equal("[DONE]", (await s)[^1]);
    }

    [Fact]
    public async Task InfluenceOverTheMemoryLimit_Is400NamingTheLimit()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?> { ["SteerServer:Queue:InfluenceMemoryMb"] = "0" });
        using var response = await server.Http.PostAsync("/v1/chat/completions", Json.Body(InfluenceChat), Ct.Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json.ReadAsync(response, Ct.Token)).GetProperty("error");
        Assert.Equal("steering.influence", error.GetProperty("param").GetString());
        Assert.Contains("InfluenceMemoryMb", error.GetProperty("message").GetString());
    }

    [Fact]
    public void InfluenceBudget_RefusesWhatDoesNotFitBesideThePassesInFlight()
    {
        var budget = new InfluenceBudget(Microsoft.Extensions.Options.Options.Create(new QueueOptions { InfluenceMemoryMb = 1 }));
        budget.Reserve(600_000, 100);
        var busy = Assert.Throws<SteerException>(() => budget.Reserve(600_000, 100));
        Assert.Equal(ErrorKind.Overloaded, busy.Kind); // 429
        Assert.Contains("InfluenceMemoryMb", busy.Message);
        budget.Release(600_000);
        budget.Reserve(600_000, 100);
        Assert.Equal(ErrorKind.InvalidRequest, Assert.Throws<SteerException>(() => budget.Reserve(2_000_000, 700)).Kind); // 400: never fits
    }
}
