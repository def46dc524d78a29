using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SteerServer.Server.Tests.Hub;

/// <summary>
/// A small Hugging Face Hub on 127.0.0.1 serving one repository from a local directory, with the Hub's metadata
/// headers: git files answer with a git-sha1 ETag; *.safetensors (LFS) answer 302 to a "CDN" path with
/// X-Linked-Etag (sha256) and X-Linked-Size. It requires the bearer token (and refuses it on the CDN), can cut
/// the first CDN download in half, and can serve corrupt bytes.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly WebApplication app;
    private readonly Dictionary<string, byte[]> files;
    private int cdnGets;

    private FakeHub(WebApplication app, Dictionary<string, byte[]> files, string address)
    {
        this.app = app;
        this.files = files;
        Endpoint = address.TrimEnd('/');
    }

    public string Endpoint { get; }
    public string Token { get; init; } = "hf_test_token";
    public bool CutFirstCdnDownload { get; set; }
    public bool Corrupt { get; set; }
    public ConcurrentQueue<string> Log { get; } = new();

    public static async Task<FakeHub> StartAsync(string repoId, string sourceDir)
    {
        var files = Directory.GetFiles(sourceDir).ToDictionary(f => Path.GetFileName(f), f => System.IO.File.ReadAllBytes(f));
        files["README.md"] = Encoding.UTF8.GetBytes("# not needed by the server\n");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeHub? hub = null;
        app.MapGet($"/api/models/{repoId}/revision/{{rev}}", (HttpContext c, string rev) =>
        {
            hub!.Log.Enqueue($"API {rev}");
            if (!hub.Authorized(c)) return Results.StatusCode(401);
            var siblings = hub.files.Keys.Append("onnx/model.onnx").Select(f => new { rfilename = f });
            return Results.Json(new { id = repoId, sha = Commit, siblings });
        });
        app.MapMethods($"/{repoId}/resolve/{{commit}}/{{**file}}", ["GET", "HEAD"], (HttpContext c, string commit, string file) =>
        {
            hub!.Log.Enqueue($"{c.Request.Method} resolve {file}");
            if (!hub.Authorized(c)) return Results.StatusCode(401);
            if (commit != Commit || !hub.files.TryGetValue(file, out var bytes)) return Results.NotFound();
            c.Response.Headers["X-Repo-Commit"] = Commit;
            if (file.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
                c.Response.Headers["X-Linked-Etag"] = $"\"{sha256}\"";
                c.Response.Headers["X-Linked-Size"] = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                c.Response.Headers.ETag = $"\"{GitSha1(Encoding.UTF8.GetBytes("lfs pointer"))}\"";
                // Another host name for the same socket, as the Hub redirects LFS files to its CDN.
                return Results.Redirect($"http://localhost:{c.Request.Host.Port}/cdn/{sha256}");
            }
            c.Response.Headers.ETag = $"\"{GitSha1(bytes)}\"";
            return c.Request.Method == "HEAD" ? Head(c, bytes.Length) : hub.Serve(c, bytes);
        });
        app.MapGet("/cdn/{sha256}", (HttpContext c, string sha256) =>
        {
            hub!.Log.Enqueue($"CDN range={c.Request.Headers.Range} auth={c.Request.Headers.Authorization.Count > 0}");
            if (c.Request.Headers.Authorization.Count > 0) return Results.StatusCode(400); // the token must stay on the hub's host
            var bytes = hub.files.Values.First(b => Convert.ToHexStringLower(SHA256.HashData(b)) == sha256);
            return hub.Serve(c, bytes, cdn: true);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hub = new FakeHub(app, files, address);
        return hub;
    }

    public byte[] File(string name) => files[name];

    private bool Authorized(HttpContext c) => c.Request.Headers.Authorization.ToString() == $"Bearer {Token}";

    private static IResult Head(HttpContext c, long length)
    {
        c.Response.ContentLength = length;
        return Results.Empty;
    }

    private IResult Serve(HttpContext c, byte[] bytes, bool cdn = false)
    {
        var data = Corrupt ? bytes.Select(b => (byte)(b ^ 0x5A)).ToArray() : bytes;
        if (cdn && CutFirstCdnDownload && Interlocked.Increment(ref cdnGets) == 1)
            return Results.Stream(async body =>
            {
                c.Response.ContentLength = data.Length;
                await body.WriteAsync(data.AsMemory(0, data.Length / 2));
                await body.FlushAsync();
                c.Abort(); // the connection drops half-way
            }, "application/octet-stream");
        return Results.Bytes(data, "application/octet-stream", enableRangeProcessing: true);
    }

    private static string GitSha1(byte[] content) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
