using SteerServer.Server.Bench;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Bench;

/// <summary><c>bench --serve</c> against the real server on a real socket (stories260K: 512-token vocabulary and context).</summary>
public sealed class ServingBenchTests
{
    [Fact]
    public async Task Workload_WithLongPromptAndInfluence_AllSucceed_AndEveryFigureIsMeasured()
    {
        await using var server = await KestrelServer.StartAsync();
        var report = await ServingBench.RunAsync(new ServingWorkload
        {
            BaseUrl = server.Address,
            Requests = 6,
            Concurrency = 3,
            PromptTokens = 24,
            GenTokens = 12,
            PromptVocab = 512,
            LongPromptTokens = 300,
            InfluenceRequests = 2,
            InfluenceWords = 40,
            ServerPid = Environment.ProcessId,
        }, ct: Ct.Token);

        Assert.Equal("stories260K", report.Model); // from GET /v1/models
        Assert.Equal(6, report.Succeeded);
        Assert.Equal(0, report.Failed);
        Assert.InRange(report.CompletionTokens, 6, 6 * 12); // usage.completion_tokens of each stream
        Assert.True(report.TokensPerSecond > 0);
        Assert.True(report.TtftP50 > 0 && report.TtftP99 >= report.TtftP50);
        Assert.True(report.LargestGap >= report.ItlP99 && report.ItlP99 >= report.ItlP50);
        Assert.NotNull(report.ExtrasSentAt);
        Assert.NotNull(report.LongPromptTtft);
        Assert.Null(report.LongPromptError);
        Assert.Equal(2, report.InfluenceSucceeded);
        Assert.Equal($"/proc/{Environment.ProcessId}/status VmRSS", report.MemorySource);
        Assert.True(report.MemoryPeak >= report.MemoryBefore);
        Assert.Equal(6, report.ToJson()["succeeded"]!.GetValue<int>());
    }

    [Fact]
    public async Task RefusedRequests_AreCountedAsFailures_WithTheServersError()
    {
        await using var server = await KestrelServer.StartAsync();
        var report = await ServingBench.RunAsync(new ServingWorkload
        {
            BaseUrl = server.Address,
            Model = "no-such-model",
            Requests = 2,
            Concurrency = 2,
            PromptTokens = 8,
            GenTokens = 4,
            PromptVocab = 512,
        }, ct: Ct.Token);

        Assert.Equal(0, report.Succeeded);
        Assert.Equal(2, report.Failed);
        Assert.StartsWith("HTTP 404", report.FirstError);
        Assert.Contains("model", report.FirstError);
    }

    [Fact]
    public async Task RequestPastItsDeadline_IsAFailureSayingSo()
    {
        await using var server = await KestrelServer.StartAsync();
        var report = await ServingBench.RunAsync(new ServingWorkload
        {
            BaseUrl = server.Address,
            Requests = 1,
            Concurrency = 1,
            PromptTokens = 8,
            GenTokens = 4,
            PromptVocab = 512,
            RequestTimeout = TimeSpan.FromTicks(1),
        }, ct: Ct.Token);

        Assert.Equal(1, report.Failed);
        Assert.StartsWith("timed out after", report.FirstError);
    }

    [Theory]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 50, 2.5)]
    [InlineData(new[] { 5.0 }, 99, 5.0)]
    [InlineData(new[] { 3.0, 1.0, 2.0 }, 100, 3.0)]
    public void Percentile_InterpolatesBetweenClosestRanks(double[] values, double p, double expected) =>
        Assert.Equal(expected, ServingReport.Percentile(values, p), 9);
}
