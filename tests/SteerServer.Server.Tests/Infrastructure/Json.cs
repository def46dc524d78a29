using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SteerServer.Server.Tests.Infrastructure;

public static class Json
{
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken ct = default) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).Clone();

    public static async Task<JsonElement> PostAsync(HttpClient client, string path, string json, CancellationToken ct = default)
    {
        using var r = await client.PostAsync(path, Body(json), ct);
        var body = await ReadAsync(r, ct);
        Assert.True(r.IsSuccessStatusCode, $"{path} answered {(int)r.StatusCode}: {body}");
        return body;
    }
}
