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
        builder.AddSteerServer();
        var app = builder.Build();
        app.UseSteerServer();
        app.MapSteerServer();
        return app;
    }
}
