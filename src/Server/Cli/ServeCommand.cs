namespace SteerServer.Server.Cli;

internal static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var app = builder.Build();
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        await app.RunAsync();
        return 0;
    }
}
