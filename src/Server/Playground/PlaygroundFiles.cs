using System.Reflection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace SteerServer.Server.Playground;

/// <summary>
/// Serves the steering playground at <c>/</c>: the page built from <c>src/Playground</c> into <c>dist/</c>, embedded
/// in the assembly so that <c>dotnet run</c>, a published app and the Docker image all have it whatever the
/// content root, with no CDN and no Node.js at run time.
/// </summary>
public static class PlaygroundFiles
{
    public static WebApplication UsePlayground(this WebApplication app)
    {
        // Resource names are the root namespace plus the folder path with '.' for '/' (see the csproj).
        var files = new EmbeddedFileProvider(Assembly.GetExecutingAssembly(), "SteerServer.Server.Playground.dist");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            // The bundle's names carry no hash: revalidate each load (ETag) so a new server version is picked up.
            OnPrepareResponse = c => c.Context.Response.Headers[HeaderNames.CacheControl] = "no-cache",
        });
        return app;
    }
}
