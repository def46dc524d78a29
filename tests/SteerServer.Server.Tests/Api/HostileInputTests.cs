using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using SteerServer.Server.Tests.Infrastructure;

namespace SteerServer.Server.Tests.Api;

/// <summary>
/// Hostile bodies over a real socket: every field a client can put text in × every form of invalid Unicode, the
/// max_tokens overflow with and without streaming. Each must be an OpenAI-shaped 400 naming the field; a 5xx makes
/// every SDK send it again.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private KestrelServer server = null!;

    public async Task InitializeAsync() => server = await KestrelServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    /// <summary>Invalid Unicode as it can appear inside a JSON string: escapes that are not text, and raw bytes that are not UTF-8.</summary>
    public static readonly (string Name, byte[] Bytes)[] InvalidForms =
    [
        ("lone high surrogate escape", "\\ud800"u8.ToArray()),
        ("lone low surrogate escape", "\\udc00"u8.ToArray()),
        ("reversed surrogate pair", "\\udc00\\ud800"u8.ToArray()),
        ("raw FF", [0xFF]),
        ("overlong C0 AF", [0xC0, 0xAF]),
        ("truncated E2 82", [0xE2, 0x82]),
    ];

    private const string Messages = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    /// <summary>Route, body with <c>@</c> where the bad text goes (inside a JSON string), and the param the 400 must name.</summary>
    public static readonly (string Path, string Body, string? Param)[] Fields =
    [
        ("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"a@b\"}],\"max_tokens\":2}", "messages[0].content"),
        ("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"@\"}]}],\"max_tokens\":2}", "messages[0].content[0].text"),
        ("/v1/chat/completions", "{\"model\":\"stories260K\"," + Messages + ",\"stop\":\"@\"}", "stop"),
        ("/v1/chat/completions", "{\"model\":\"stories260K\"," + Messages + ",\"stop\":[\"x\",\"@\"]}", "stop[1]"),
        ("/v1/chat/completions", "{\"model\":\"stories260K\"," + Messages + ",\"steering\":{\"substrings\":[\"@\"]}}", "steering.substrings[0]"),
        ("/v1/chat/completions", "{\"model\":\"@\"," + Messages + "}", "model"),
        ("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"us@er\",\"content\":\"Hi\"}]}", "messages[0].role"),
        ("/v1/chat/completions", "{\"model\":\"stories260K\"," + Messages + ",\"user\":\"@\"}", "user"),
        ("/v1/chat/completions", "{\"model\":\"stories260K\"," + Messages + ",\"x@\":1}", null), // a field name: nothing to name
        ("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once @\",\"max_tokens\":2}", "prompt"),
        ("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":[\"ok\",\"@\"],\"max_tokens\":2}", "prompt[1]"),
        ("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once\",\"stop\":\"@\"}", "stop"),
        ("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once\",\"steering\":{\"substrings\":\"@\"}}", "steering.substrings"),
        ("/tokenize", "{\"prompt\":\"@\"}", "prompt"),
        ("/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"@\"}]}", "messages[0].content"),
    ];

    private static ByteArrayContent Raw(string body, byte[] bad)
    {
        var at = body.IndexOf('@');
        var bytes = Encoding.UTF8.GetBytes(body[..at]).Concat(bad).Concat(Encoding.UTF8.GetBytes(body[(at + 1)..])).ToArray();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    [Fact]
    public async Task InvalidUnicode_EveryField_400NamingIt()
    {
        int tried = 0, serverErrors = 0;
        var failures = new List<string>();
        foreach (var (path, body, param) in Fields)
            foreach (var (form, bytes) in InvalidForms)
            {
                tried++;
                using var r = await server.Http.PostAsync(path, Raw(body, bytes), Ct.Token);
                var text = await r.Content.ReadAsStringAsync();
                if ((int)r.StatusCode >= 500) serverErrors++;
                try
                {
                    var error = await ApiErrors.AssertAsync(r, HttpStatusCode.BadRequest, param, "invalid_unicode");
                    Assert.DoesNotContain("expected a string", error.GetProperty("message").GetString());
                }
                catch (Exception e)
                {
                    failures.Add($"{path} {param} × {form}: {(int)r.StatusCode} {text} ({e.Message.Split('\n')[0]})");
                }
            }
        output.WriteLine($"{tried} invalid-Unicode bodies, {serverErrors} answered 5xx");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(0, serverErrors);
        Assert.Equal(Fields.Length * InvalidForms.Length, tried);
    }

    [Fact]
    public async Task ValidSurrogatePair_StillAccepted()
    {
        var r = await Json.PostAsync(server.Http, "/tokenize", "{\"prompt\":\"smile \\ud83d\\ude00\"}", Ct.Token);
        Assert.True(r.GetProperty("count").GetInt32() > 1);
    }

    [Theory]
    [InlineData("/v1/chat/completions", Messages, "max_tokens", false)]
    [InlineData("/v1/chat/completions", Messages, "max_tokens", true)]
    [InlineData("/v1/chat/completions", Messages, "max_completion_tokens", false)]
    [InlineData("/v1/chat/completions", Messages, "max_completion_tokens", true)]
    [InlineData("/v1/completions", "\"prompt\":\"Once upon a time\"", "max_tokens", false)]
    [InlineData("/v1/completions", "\"prompt\":\"Once upon a time\"", "max_tokens", true)]
    public async Task MaxTokensIntMax_400ContextLengthExceeded_NeverA200(string path, string prompt, string field, bool stream)
    {
        var body = $"{{\"model\":\"stories260K\",{prompt},\"{field}\":2147483647,\"stream\":{(stream ? "true" : "false")}}}";
        using var r = await server.Http.PostAsync(path, Json.Body(body), Ct.Token);
        var error = await ApiErrors.AssertAsync(r, HttpStatusCode.BadRequest, field, "context_length_exceeded");
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("2147483647", message);
        Assert.DoesNotContain("capacity", message);
        Assert.DoesNotContain("-21474", message);
    }

    [Fact]
    public async Task MinTokensOverMaxTokens_400() =>
        await ApiErrors.AssertAsync(await server.Http.PostAsync("/v1/chat/completions",
            Json.Body($"{{\"model\":\"stories260K\",{Messages},\"max_tokens\":3,\"min_tokens\":4}}"), Ct.Token), HttpStatusCode.BadRequest, "min_tokens");

    [Fact]
    public async Task StopTokenIdOutsideVocabulary_400() =>
        await ApiErrors.AssertAsync(await server.Http.PostAsync("/v1/completions",
            Json.Body("{\"model\":\"stories260K\",\"prompt\":\"Once\",\"stop_token_ids\":[1,100000]}"), Ct.Token), HttpStatusCode.BadRequest, "stop_token_ids[1]");

    [Theory]
    [InlineData("\"guided_json\":{\"type\":\"object\"}", "guided_json")]
    [InlineData("\"guided_regex\":\"a+\"", "guided_regex")]
    [InlineData("\"guided_choice\":[\"a\",\"b\"]", "guided_choice")]
    [InlineData("\"guided_grammar\":\"root ::= a\"", "guided_grammar")]
    [InlineData("\"grammar\":\"root ::= a\"", "grammar")]
    [InlineData("\"json_schema\":{\"type\":\"object\"}", "json_schema")]
    [InlineData("\"best_of\":3", "best_of")]
    [InlineData("\"use_beam_search\":true", "use_beam_search")]
    [InlineData("\"prompt_logprobs\":1", "prompt_logprobs")]
    [InlineData("\"echo\":true", "echo")]
    public async Task VllmFieldsWeCannotHonour_400UnsupportedParameter_Chat(string field, string param) =>
        await ApiErrors.AssertAsync(await server.Http.PostAsync("/v1/chat/completions",
            Json.Body($"{{\"model\":\"stories260K\",{Messages},{field}}}"), Ct.Token), HttpStatusCode.BadRequest, param, "unsupported_parameter");

    [Theory]
    [InlineData("\"guided_json\":{\"type\":\"object\"}", "guided_json")]
    [InlineData("\"guided_choice\":[\"a\"]", "guided_choice")]
    [InlineData("\"use_beam_search\":true", "use_beam_search")]
    [InlineData("\"prompt_logprobs\":0", "prompt_logprobs")]
    public async Task VllmFieldsWeCannotHonour_400UnsupportedParameter_Completions(string field, string param) =>
        await ApiErrors.AssertAsync(await server.Http.PostAsync("/v1/completions",
            Json.Body($"{{\"model\":\"stories260K\",\"prompt\":\"Once\",{field}}}"), Ct.Token), HttpStatusCode.BadRequest, param, "unsupported_parameter");

    [Fact]
    public async Task DefaultValuedVllmFields_Accepted()
    {
        var r = await Json.PostAsync(server.Http, "/v1/chat/completions",
            $"{{\"model\":\"stories260K\",{Messages},\"max_tokens\":2,\"use_beam_search\":false,\"best_of\":1,\"echo\":false,\"guided_json\":null}}", Ct.Token);
        Assert.Equal("chat.completion", r.GetProperty("object").GetString());
    }
}
