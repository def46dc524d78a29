using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SteerServer.Server.Hosting;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Hosting;

/// <summary>Graceful shutdown: the server stops taking requests (503) while the running one streams to its end.</summary>
public sealed class DrainTests
{
    [Fact]
    public async Task Shutdown_RefusesNewRequests_DrainsRunningOne()
    {
        var app = SteerServerApp.Build([
            "--SteerServer:Model:Path=" + SteerServer.TestData.TestDataPaths.Models("stories260K"),
            "--SteerServer:Queue:MaxBatch=1", "--SteerServer:Queue:DrainTimeoutSeconds=120",
            "--Serilog:MinimumLevel:Default=Warning", "--urls=http://127.0.0.1:0"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(3) };
        await Health.WaitReadyAsync(http);

        // 8 choices × 490 tokens, one after another: long enough to still be running while the server stops.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Json.Body("{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":490,\"n\":8,\"temperature\":0,\"stream\":true}"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct.Token);
        var events = Sse.ReadAsync(response, Ct.Token).GetAsyncEnumerator(Ct.Token);
        Assert.True(await events.MoveNextAsync());

        var stopping = app.StopAsync();
        var host = app.Services.GetRequiredService<ModelHost>();
        for (int i = 0; i < 200 && host.State != ModelState.Draining; i++) await Task.Delay(10);
        Assert.Equal(ModelState.Draining, host.State); // /health and new requests now answer 503 (Kestrel also stops accepting connections)
        Assert.Throws<SteerServer.Models.Errors.SteerException>(() => host.Require("stories260K"));

        int finishes = 0;
        while (await events.MoveNextAsync())
            if (events.Current != "[DONE]" && JsonDocument.Parse(events.Current).RootElement.GetProperty("choices") is { } ch && ch.GetArrayLength() > 0
                && ch[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String) finishes++;
        Assert.Equal(8, finishes); // every choice of the running request finished
        await stopping;
        await app.DisposeAsync();
    }
}
