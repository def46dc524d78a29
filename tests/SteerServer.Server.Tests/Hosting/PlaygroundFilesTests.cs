using System.Net;
using System.Text.RegularExpressions;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Hosting;

/// <summary>
/// The playground at <c>/</c> comes from the assembly (no files on disk, no CDN) and loads without an API key, so
/// the page can ask for one; the API behind it still needs the key. The page itself is tested in Chromium (tests/Playground).
/// </summary>
public sealed partial class PlaygroundFilesTests(AuthServerFactory factory) : IClassFixture<AuthServerFactory>
{
    [Fact]
    public async Task Root_ServesThePageAndEveryAssetItNames_WithoutAKey()
    {
        var client = factory.CreateClient();
        using var page = await client.GetAsync("/", Ct.Token);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Ct.Token);
        Assert.Contains("<title>SteerServer playground</title>", html, StringComparison.Ordinal);

        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("./assets/playground.js", assets);
        Assert.Contains("./assets/playground.css", assets);
        Assert.DoesNotContain(assets, a => a.Contains("//", StringComparison.Ordinal)); // nothing from another host
        foreach (var asset in assets)
        {
            using var r = await client.GetAsync(asset.TrimStart('.'), Ct.Token);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(asset.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript" : "text/css", r.Content.Headers.ContentType?.MediaType);
            Assert.True((await r.Content.ReadAsByteArrayAsync(Ct.Token)).Length > 1000, asset);
        }
        await ApiErrors.AssertAsync(await client.GetAsync("/v1/models", Ct.Token), HttpStatusCode.Unauthorized, null, "invalid_api_key");
    }

    [Fact]
    public async Task UnknownFile_StaysAnOpenAiShaped404() =>
        await ApiErrors.AssertAsync(await factory.CreateClient().GetAsync("/assets/nope.js", Ct.Token), HttpStatusCode.NotFound, null, "not_found");

    [GeneratedRegex(""""(?:src|href)="(\./[^"]+)"""")]
    private static partial Regex AssetReference();
}
