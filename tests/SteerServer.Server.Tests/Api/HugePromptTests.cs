using System.Diagnostics;
using System.Net;
using System.Text;
using Xunit.Abstractions;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Api;

/// <summary>Runs alone: it measures the process's working set, which parallel tests would disturb.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

/// <summary>
/// A 10 MB prompt for a 512-token context is refused as soon as the tokenizer is sure it does not fit, without
/// tokenizing it whole: a bounded amount of memory, never a 271 MB /tokenize answer.
/// </summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class HugePromptTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long MaxGrowth = 500L << 20;
    private KestrelServer server = null!;

    public async Task InitializeAsync() => server = await KestrelServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private static string TenMegabytes()
    {
        const string sentence = "Once upon a time there was a little girl named Lily who loved to play outside. ";
        var sb = new StringBuilder(10_000_000 + sentence.Length);
        while (sb.Length < 10_000_000) sb.Append(sentence);
        return sb.ToString();
    }

    public static TheoryData<string, string, string> Requests => new()
    {
        { "/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"@\"}]}", "messages" },
        { "/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"@\"}],\"stream\":true}", "messages" },
        { "/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"@\"}", "prompt" },
        { "/tokenize", "{\"prompt\":\"@\"}", "prompt" },
        { "/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"@\"}]}", "messages" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task TenMegabytePrompt_400ContextLength_MemoryGrowthUnder500MB(string path, string template, string param)
    {
        var body = template.Replace("@", TenMegabytes(), StringComparison.Ordinal);
        var (response, growth) = await MeasureAsync(() => server.Http.PostAsync(path, Json.Body(body), Ct.Token));
        using (response)
        {
            Assert.True(response.Content.Headers.ContentLength is null or < 4096, $"{response.Content.Headers.ContentLength}-byte answer");
            await ApiErrors.AssertAsync(response, HttpStatusCode.BadRequest, param, "context_length_exceeded");
        }
        output.WriteLine($"{path} {param}: working set grew {growth >> 20} MB");
        Assert.True(growth < MaxGrowth, $"working set grew {growth >> 20} MB");
    }

    [Fact]
    public async Task FourAtOnce_AllRefused_MemoryGrowthUnder500MB()
    {
        var body = "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"" + TenMegabytes() + "\"}]}";
        var (responses, growth) = await MeasureAsync(() => Task.WhenAll(Enumerable.Range(0, 4).Select(_ => server.Http.PostAsync("/v1/chat/completions", Json.Body(body), Ct.Token))));
        foreach (var r in responses)
            using (r) await ApiErrors.AssertAsync(r, HttpStatusCode.BadRequest, "messages", "context_length_exceeded");
        output.WriteLine($"4 × 10 MB at once: working set grew {growth >> 20} MB");
        Assert.True(growth < MaxGrowth, $"working set grew {growth >> 20} MB");
    }

    [Fact]
    public async Task BodyOverTheLimit_413()
    {
        await using var small = await KestrelServer.StartAsync(new Dictionary<string, string?> { ["SteerServer:Limits:MaxRequestBodyBytes"] = "4096" });
        var body = "{\"model\":\"stories260K\",\"prompt\":\"" + new string('a', 8000) + "\"}";
        await ApiErrors.AssertAsync(await small.Http.PostAsync("/v1/completions", Json.Body(body), Ct.Token), HttpStatusCode.RequestEntityTooLarge, null);
    }

    /// <summary>Runs <paramref name="send"/> while sampling the working set; growth = the highest sample − the level before.</summary>
    private static async Task<(T Result, long Growth)> MeasureAsync<T>(Func<Task<T>> send)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.WorkingSet64, peak = before;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                try { await Task.Delay(5, done.Token); } catch (OperationCanceledException) { }
            }
        });
        var result = await send();
        done.Cancel();
        await sampler;
        process.Refresh();
        peak = Math.Max(peak, process.WorkingSet64);
        return (result, peak - before);
    }
}
