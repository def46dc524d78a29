using System.Text.Json;

namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>Reads a <c>text/event-stream</c> body into its <c>data:</c> payloads, checking the framing on the way.</summary>
public static class Sse
{
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response, CancellationToken ct = default)
    {
        var events = new List<string>();
        await foreach (var e in ReadAsync(response, ct)) events.Add(e);
        return events;
    }

    public static async IAsyncEnumerable<string> ReadAsync(HttpResponseMessage response, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        string? line;
        while ((line = await reader.ReadLineAsync(ct)) != null)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            yield return line["data: ".Length..];
        }
    }

    /// <summary>The JSON events (everything but the final <c>[DONE]</c>, which must be last and present once).</summary>
    public static List<JsonElement> Json(List<string> events)
    {
        Assert.NotEmpty(events);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Single(events, e => e == "[DONE]");
        return [.. events.Take(events.Count - 1).Select(e => JsonDocument.Parse(e).RootElement.Clone())];
    }
}
