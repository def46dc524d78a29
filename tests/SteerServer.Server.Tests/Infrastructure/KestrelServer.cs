using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SteerServer.Server.Hosting;

namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>The real app on a real Kestrel socket at 127.0.0.1 (random port), for SDK clients, streaming, disconnects and 429s.</summary>
public sealed class KestrelServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private KestrelServer(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
    }

    public Uri Address { get; }

    /// <summary>The OpenAI SDK's base URL.</summary>
    public Uri V1 => new(Address, "/v1");

    public HttpClient Http { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<KestrelServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var all = ServerFactory.Defaults();
        if (settings != null) foreach (var (k, v) in settings) all[k] = v;
        var args = all.Select(kv => $"--{kv.Key}={kv.Value}").Append("--urls=http://127.0.0.1:0").ToArray();
        var app = SteerServerApp.Build(args);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new KestrelServer(app, new Uri(address));
        await Health.WaitReadyAsync(server.Http);
        return server;
    }

    /// <summary>One sample of a Prometheus series from <c>/metrics</c>, e.g. <c>steerserver_cancelled_requests_total</c>; 0 when absent.</summary>
    public async Task<double> MetricAsync(string series)
    {
        var text = await Http.GetStringAsync("/metrics");
        double sum = 0;
        foreach (var line in text.Split('\n'))
            if (line.StartsWith(series + " ", StringComparison.Ordinal) || line.StartsWith(series + "{", StringComparison.Ordinal))
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return sum;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
