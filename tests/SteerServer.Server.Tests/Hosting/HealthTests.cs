using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using SteerServer.Server.Hosting;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Hosting;

/// <summary>/health and generation routes while the model is not ready: 503 with Retry-After, never a 5xx body without shape.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task ModelFailsToLoad_Health503_Requests503WithRetryAfter()
    {
        var app = SteerServerApp.Build([
            "--SteerServer:Model:Path=" + Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N")),
            "--SteerServer:Model:Name=ghost", "--Serilog:MinimumLevel:Default=Fatal", "--urls=http://127.0.0.1:0"]);
        await app.StartAsync();
        try
        {
            var address = app.Urls.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            JsonElement health = default;
            HttpResponseMessage? response = null;
            for (int i = 0; i < 200; i++)
            {
                response = await http.GetAsync("/health", Ct.Token);
                health = await Json.ReadAsync(response, Ct.Token);
                if (health.GetProperty("status").GetString() != "loading") break;
                await Task.Delay(50);
            }
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response!.StatusCode);
            Assert.Equal("failed", health.GetProperty("status").GetString());
            Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());

            using var chat = await http.PostAsync("/v1/chat/completions", Json.Body("{\"model\":\"ghost\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"), Ct.Token);
            await ApiErrors.AssertAsync(chat, HttpStatusCode.ServiceUnavailable, null, "service_unavailable");
            Assert.Equal("1", chat.Headers.GetValues("Retry-After").Single());
            using var other = await http.PostAsync("/v1/chat/completions", Json.Body("{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"), Ct.Token);
            await ApiErrors.AssertAsync(other, HttpStatusCode.NotFound, "model", "model_not_found"); // the name is known without the model
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
