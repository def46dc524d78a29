namespace SteerServer.Server.Hosting;

/// <summary>Builds the web application; <c>serve</c> runs it, tests start it on 127.0.0.1.</summary>
public static class SteerServerApp
{
    public static WebApplication Build(string[] args)
    {
        // appsettings.json sits beside the binary; the working directory may be anywhere (docker, dotnet run, tests).
        bool hasContentRoot = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = hasContentRoot ? null : AppContext.BaseDirectory,
        });
        // No `urls` in appsettings.json: it would override ASPNETCORE_URLS. The default applies only when nothing
        // (--urls, --host/--port, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Kestrel:Endpoints) chose an address.
        if (!HasListenAddress(builder.Configuration)) builder.WebHost.UseUrls(DefaultUrls);
        // Bodies are read whole before parsing (see RequestBody), so the limit bounds that memory; larger is a 413.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize =
            builder.Configuration.GetValue<long?>(MaxBodyKey) is > 0 and var max ? max : DefaultMaxBodyBytes);
        builder.AddSteerServer();
        var app = builder.Build();
        app.UseSteerServer();
        app.MapSteerServer();
        return app;
    }

    public const string DefaultUrls = "http://0.0.0.0:8080";

    public const string MaxBodyKey = "SteerServer:Limits:MaxRequestBodyBytes";

    /// <summary>16 MiB: a full 128k-token context as JSON-escaped text fits several times over.</summary>
    public const long DefaultMaxBodyBytes = 16 << 20;

    private static bool HasListenAddress(IConfiguration c) =>
        !string.IsNullOrEmpty(c["urls"]) || !string.IsNullOrEmpty(c["http_ports"]) || !string.IsNullOrEmpty(c["https_ports"])
        || c.GetSection("Kestrel:Endpoints").Exists();
}
