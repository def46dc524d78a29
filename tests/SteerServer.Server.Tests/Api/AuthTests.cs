using System.Net;
using System.Net.Http.Headers;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Api;

/// <summary>With API keys configured, /v1 needs a bearer key (401 in OpenAI shape otherwise); /health stays open.</summary>
public sealed class AuthTests(AuthServerFactory factory) : IClassFixture<AuthServerFactory>
{
    [Fact]
    public async Task MissingKey_401InvalidApiKey() =>
        await ApiErrors.AssertAsync(await factory.CreateClient().GetAsync("/v1/models", Ct.Token), HttpStatusCode.Unauthorized, null, "invalid_api_key");

    [Fact]
    public async Task WrongKey_401InvalidApiKey()
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuthServerFactory.Key + "x");
        await ApiErrors.AssertAsync(await client.PostAsync("/v1/completions", Json.Body("{\"model\":\"stories260K\",\"prompt\":\"a\"}"), Ct.Token),
            HttpStatusCode.Unauthorized, null, "invalid_api_key");
    }

    [Theory]
    [InlineData(AuthServerFactory.Key)]
    [InlineData("second-key")]
    public async Task RightKey_200(string key)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var r = await client.GetAsync("/v1/models", Ct.Token);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task Health_OpenWithoutKey()
    {
        using var r = await factory.CreateClient().GetAsync("/health", Ct.Token);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task Tokenize_NeedsKey() =>
        await ApiErrors.AssertAsync(await factory.CreateClient().PostAsync("/tokenize", Json.Body("{\"prompt\":\"a\"}"), Ct.Token), HttpStatusCode.Unauthorized, null, "invalid_api_key");
}
