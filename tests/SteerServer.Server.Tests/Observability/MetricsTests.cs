using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Observability;

/// <summary><c>/metrics</c> through OpenTelemetry's Prometheus exporter on a real server, and the optional OTLP push.</summary>
public sealed class MetricsTests
{
    private static readonly string[] LatencyHistograms =
    [
        "steerserver_time_to_first_token_seconds", "steerserver_inter_token_latency_seconds",
        "steerserver_e2e_request_latency_seconds", "steerserver_request_queue_time_seconds",
    ];

    private static async Task<PrometheusText> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics", Ct.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new PrometheusText(await response.Content.ReadAsStringAsync(Ct.Token));
    }

    [Fact]
    public async Task AfterOneCompletion_HistogramsAndCountersCountIt()
    {
        // A server of its own: the counts below are this request's alone, whatever other tests run in this process.
        await using var server = await KestrelServer.StartAsync();
        var body = await Json.PostAsync(server.Http, "/v1/completions", """{"model":"stories260K","prompt":"Once upon a time","max_tokens":8,"temperature":0}""", Ct.Token);
        int promptTokens = body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        int completionTokens = body.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.Equal(8, completionTokens);
        var metrics = await ScrapeAsync(server.Http);

        foreach (var name in LatencyHistograms.Append("steerserver_request_prompt_tokens").Append("steerserver_request_generation_tokens"))
        {
            Assert.Equal("histogram", metrics.Types[name]);
            var buckets = metrics.Buckets(name);
            Assert.True(buckets.Count >= 10, $"{name}: {buckets.Count} buckets");
            Assert.Equal(double.PositiveInfinity, buckets[^1].Le);
            Assert.Equal(metrics.Value(name + "_count"), buckets[^1].Count);
            for (int b = 1; b < buckets.Count; b++) Assert.True(buckets[b].Count >= buckets[b - 1].Count, $"{name}: buckets are cumulative");
        }
        // Latency buckets reach from milliseconds (a small model on a CPU) to many minutes (a long generation).
        foreach (var name in LatencyHistograms)
        {
            var bounds = metrics.Buckets(name).Select(b => b.Le).ToList();
            Assert.True(bounds[0] <= 0.01 && bounds[^2] >= 80, $"{name}: {string.Join(", ", bounds)}");
            Assert.True(metrics.Value(name + "_sum") >= 0);
        }
        Assert.Equal(1, metrics.Value("steerserver_time_to_first_token_seconds_count"));
        Assert.Equal(1, metrics.Value("steerserver_e2e_request_latency_seconds_count"));
        Assert.Equal(1, metrics.Value("steerserver_request_queue_time_seconds_count"));
        Assert.Equal(completionTokens - 1, metrics.Value("steerserver_inter_token_latency_seconds_count")); // one gap per token after the first
        Assert.True(metrics.Value("steerserver_e2e_request_latency_seconds_sum") >= metrics.Value("steerserver_time_to_first_token_seconds_sum"));
        Assert.Equal(promptTokens, metrics.Value("steerserver_request_prompt_tokens_sum"));
        Assert.Equal(completionTokens, metrics.Value("steerserver_request_generation_tokens_sum"));
        // The 1-2-5 token buckets put this request's 8 generated tokens in le=10, not le=5.
        var generated = metrics.Buckets("steerserver_request_generation_tokens");
        Assert.Equal(0, generated.Single(b => b.Le == 5).Count);
        Assert.Equal(1, generated.Single(b => b.Le == 10).Count);

        Assert.Equal(promptTokens, metrics.Value("steerserver_prompt_tokens_total"));
        Assert.Equal(completionTokens, metrics.Value("steerserver_generation_tokens_total"));
        Assert.Equal(1, metrics.Value("steerserver_request_finish_total", "reason=length"));
        Assert.Equal(1, metrics.Value("steerserver_requests_total", "route=/v1/completions", "status=200"));
        // Counters that never fired read 0 rather than being absent.
        Assert.True(metrics.Has("steerserver_cancelled_requests_total") && metrics.Value("steerserver_cancelled_requests_total") == 0);
        Assert.True(metrics.Has("steerserver_rejected_requests_total"));

        // Gauges: nothing runs or waits once the answer is back.
        Assert.Equal(0, metrics.Value("steerserver_num_requests_running"));
        Assert.Equal(0, metrics.Value("steerserver_num_requests_waiting"));
        Assert.Equal(0, metrics.Value("steerserver_kv_cache_usage_perc"));
        foreach (var gauge in new[] { "steerserver_num_requests_running", "steerserver_num_requests_waiting", "steerserver_kv_cache_usage_perc" })
            Assert.Equal("gauge", metrics.Types[gauge]);

        // The ecosystem's own series: ASP.NET Core's HTTP histogram, the runtime and the process.
        Assert.True(metrics.Value("http_server_request_duration_seconds_count", "http_route=/v1/completions") >= 1);
        Assert.True(metrics.Value("dotnet_gc_heap_total_allocated_bytes_total") > 0);
        Assert.True(metrics.Value("process_memory_usage_bytes") > 0);
        Assert.True(metrics.Has("process_cpu_time_seconds_total"));
    }

    [Fact]
    public async Task TwoServersInOneProcess_EachCountsOnlyItsOwnRequests()
    {
        await using var a = await KestrelServer.StartAsync();
        await using var b = await KestrelServer.StartAsync();
        await Json.PostAsync(a.Http, "/v1/completions", """{"model":"stories260K","prompt":"Once","max_tokens":2}""", Ct.Token);
        Assert.Equal(1, (await ScrapeAsync(a.Http)).Value("steerserver_requests_total", "route=/v1/completions"));
        var other = await ScrapeAsync(b.Http);
        Assert.Equal(0, other.Value("steerserver_requests_total", "route=/v1/completions"));
        Assert.Equal(0, other.Value("steerserver_generation_tokens_total"));
        Assert.Equal(0, other.Value("http_server_request_duration_seconds_count", "http_route=/v1/completions"));
    }

    [Fact]
    public async Task ProtectMetrics_NeedsTheApiKey_OtherwiseOpen()
    {
        var keys = new Dictionary<string, string?> { ["SteerServer:Auth:ApiKeys:0"] = "metrics-key" };
        await using (var open = await KestrelServer.StartAsync(keys))
            await ScrapeAsync(open.Http); // keys alone leave /metrics to the scraper

        keys["SteerServer:Auth:ProtectMetrics"] = "true";
        await using var server = await KestrelServer.StartAsync(keys);
        using (var anonymous = await server.Http.GetAsync("/metrics", Ct.Token))
            await ApiErrors.AssertAsync(anonymous, HttpStatusCode.Unauthorized, null, "invalid_api_key");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "metrics-key") } };
        using var authorized = await server.Http.SendAsync(request, Ct.Token);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Contains("steerserver_requests_total", await authorized.Content.ReadAsStringAsync(Ct.Token));
    }

    [Fact]
    public async Task Otlp_PushesMetricsAndTraces_ToTheGivenEndpoints()
    {
        await using var collector = await OtlpCollector.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        await using var server = await ServerProcess.StartAsync(environment,
            "--otlp-traces-endpoint", collector.Url("/v1/traces"), "--otlp-metrics-endpoint", collector.Url("/v1/metrics"));
        await Json.PostAsync(server.Http, "/v1/chat/completions",
            """{"model":"stories260K","max_tokens":4,"messages":[{"role":"user","content":"Once upon a time"}]}""", Ct.Token);

        // OTLP/protobuf carries names and attribute keys as plain UTF-8 strings.
        await collector.WaitForAsync("/v1/metrics", "steerserver_time_to_first_token_seconds");
        var span = await collector.WaitForAsync("/v1/traces", "gen_ai.usage.output_tokens");
        Assert.Contains("/v1/chat/completions", span);
        Assert.Contains("steerserver.steered", span);
    }

    [Fact]
    public async Task Otlp_BadEndpoint_RefusedAtStart()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync("--otlp-traces-endpoint", "collector:4317"));
        Assert.Contains("--otlp-traces-endpoint must be an http(s) URL", e.Message);
    }

    /// <summary>A stand-in OpenTelemetry collector on 127.0.0.1: keeps every OTLP/HTTP request body by path.</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly List<(string Path, string Body)> received = [];

        private OtlpCollector(WebApplication app) => this.app = app;

        public static async Task<OtlpCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var collector = new OtlpCollector(app);
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer);
                lock (collector.received) collector.received.Add((context.Request.Path, Encoding.Latin1.GetString(buffer.ToArray())));
                return Results.Ok();
            });
            await app.StartAsync();
            return collector;
        }

        public string Url(string path) => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + path;

        public async Task<string> WaitForAsync(string path, string text)
        {
            for (int i = 0; i < 600; i++)
            {
                lock (received)
                    foreach (var r in received)
                        if (r.Path == path && r.Body.Contains(text, StringComparison.Ordinal)) return r.Body;
                await Task.Delay(50);
            }
            lock (received) throw new InvalidOperationException($"no {path} export containing {text}; received: {string.Join(", ", received.Select(r => $"{r.Path} ({r.Body.Length} bytes)"))}");
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
