using System.Net;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Api;

/// <summary>Each invalid <c>steering</c> field: a 400 whose <c>param</c> is the field's JSON path.</summary>
public sealed class SteeringValidationTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private async Task<HttpResponseMessage> CompleteAsync(string steering, string prompt = "\"Once upon a time\"") =>
        await factory.CreateClient().PostAsync("/v1/completions",
            Json.Body($"{{\"model\":\"stories260K\",\"prompt\":{prompt},\"max_tokens\":2,\"steering\":{steering}}}"), Ct.Token);

    [Theory]
    [InlineData("\"on\"", "steering")]
    [InlineData("{\"substrings\":[\"dragon\"],\"head_config\":[1]}", "steering.substrings[0]")]
    [InlineData("{\"substrings\":[\"upon\", 3],\"head_config\":[1]}", "steering.substrings[1]")]
    [InlineData("{\"substrings\":7}", "steering.substrings")]
    [InlineData("{\"substrings\":[\"upon\"],\"head_config\":{\"1\":[0,8]}}", "steering.head_config.1[1]")]
    [InlineData("{\"substrings\":[\"upon\"],\"alpha\":0,\"head_config\":[1]}", "steering.alpha")]
    [InlineData("{\"substrings\":[\"upon\"],\"alpha\":\"big\",\"head_config\":[1]}", "steering.alpha")]
    [InlineData("{\"scale_position\":\"middle\"}", "steering.scale_position")]
    [InlineData("{\"delta\":\"x\"}", "steering.delta")]
    [InlineData("{\"influence\":\"everything\"}", "steering.influence")]
    [InlineData("{\"delta_influence\":\"x\"}", "steering.delta_influence")]
    [InlineData("{\"steer_decode\":\"yes\"}", "steering.steer_decode")]
    [InlineData("{\"substring\":[\"upon\"]}", "steering.substring")]
    [InlineData("{\"substrings\":[\"upon\"]}", "steering.head_config")]
    [InlineData("{\"influence\":\"influence\"}", "steering.influence")]
    public async Task InvalidSteeringField_400NamesItsPath(string steering, string param) =>
        await ApiErrors.AssertAsync(await CompleteAsync(steering), HttpStatusCode.BadRequest, param);

    [Fact]
    public async Task HeadConfig_LayerOutOfRange_400WithModelLimits()
    {
        var error = await ApiErrors.AssertAsync(await CompleteAsync("{\"substrings\":[\"upon\"],\"head_config\":[7]}"), HttpStatusCode.BadRequest, ApiErrors.AnyParam);
        Assert.StartsWith("steering.head_config", error.GetProperty("param").GetString());
        Assert.Contains("5", error.GetProperty("message").GetString()); // the model's 5 layers
    }

    [Fact]
    public async Task GuideTag_Unclosed_400NamesPrompt() =>
        await ApiErrors.AssertAsync(await CompleteAsync("null", "\"Once upon <!->a time\""), HttpStatusCode.BadRequest, "prompt");

    [Fact]
    public async Task Substrings_WithTokenIdPrompt_400NamesSteering() =>
        await ApiErrors.AssertAsync(await CompleteAsync("{\"substrings\":[\"upon\"],\"head_config\":[1]}", "[1,403,407]"), HttpStatusCode.BadRequest, "steering");
}
