using System.Net;

namespace SteerServer.Server.Tests.Infrastructure;

public static class Health
{
    /// <summary>Polls <c>/health</c> until 200; fails with the last status after a minute (loading stories260K takes well under a second).</summary>
    public static async Task WaitReadyAsync(HttpClient client)
    {
        HttpStatusCode last = 0;
        for (int i = 0; i < 600; i++)
        {
            using var r = await client.GetAsync("/health");
            last = r.StatusCode;
            if (last == HttpStatusCode.OK) return;
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"server not ready: /health answered {last}");
    }
}
