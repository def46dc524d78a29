using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Infrastructure;

/// <summary>
/// The real app in-process (<see cref="WebApplicationFactory{TEntryPoint}"/>) serving stories260K, for request,
/// validation and error-body tests. Settings are configuration keys, exactly as appsettings.json spells them.
/// </summary>
public class ServerFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly Dictionary<string, string?> settings;

    public ServerFactory() : this(new Dictionary<string, string?>()) { }

    protected ServerFactory(IDictionary<string, string?> extra)
    {
        settings = new Dictionary<string, string?>(Defaults(), StringComparer.Ordinal);
        foreach (var (k, v) in extra) settings[k] = v;
    }

    public const string ModelName = "stories260K";

    public static Dictionary<string, string?> Defaults() => new(StringComparer.Ordinal)
    {
        ["SteerServer:Model:Path"] = TestDataPaths.Models(ModelName),
        ["SteerServer:Hub:AllowDownload"] = "false",
        ["Serilog:MinimumLevel:Default"] = "Warning",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in settings) builder.UseSetting(k, v);
    }

    public async Task InitializeAsync()
    {
        using var client = CreateClient();
        await Health.WaitReadyAsync(client);
    }

    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();
}
