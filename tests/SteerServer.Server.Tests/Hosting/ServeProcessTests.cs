using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SteerServer.Server.Tests.Infrastructure;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Hosting;

/// <summary>The binary as an operator runs it: --help, exit codes, listen addresses from flags and environment, the console log.</summary>
public sealed class ServeProcessTests
{
    private static readonly string Model = TestDataPaths.Models("stories260K");
    private static readonly TimeSpan Exit = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("serve", "--max-batch")]
    [InlineData("generate", "--prompt")]
    [InlineData("tokenize", "--text")]
    [InlineData("bench", "--random")]
    [InlineData("profile", "--tasks")]
    public async Task Help_PrintsTheCommandsOptions_ExitsZero(string command, string option)
    {
        await using var p = ServerProcess.Launch([command, "--help"]);
        Assert.Equal(0, await p.WaitForExitAsync(Exit));
        Assert.Contains($"usage: SteerServer {command}", p.Output);
        Assert.Contains(option, p.Output);
        Assert.Contains("--model", p.Output);
    }

    [Fact]
    public async Task UnknownServeOption_NamesItAndPointsToHelp()
    {
        await using var p = ServerProcess.Launch(["serve", "--max-bacth", "4"]);
        Assert.NotEqual(0, await p.WaitForExitAsync(Exit));
        Assert.Contains("unknown option --max-bacth", p.Output);
        Assert.Contains("--help", p.Output);
        Assert.DoesNotContain("or or", p.Output);
    }

    [Fact]
    public async Task MissingModel_ExitsNonZeroWithTheReason()
    {
        await using var p = ServerProcess.Launch(["serve", "--model", "/nonexistent/model-dir", "--urls", "http://127.0.0.1:0", "--SteerServer:Hub:AllowDownload=false"]);
        Assert.Equal(1, await p.WaitForExitAsync(Exit));
        Assert.Contains("the model could not be loaded", p.Output);
        Assert.Contains("/nonexistent/model-dir", p.Output);
    }

    [Fact]
    public async Task CorruptCheckpoint_ExitsNonZero()
    {
        var dir = Directory.CreateTempSubdirectory("steer-corrupt-");
        try
        {
            foreach (var f in Directory.GetFiles(Model)) File.Copy(f, Path.Combine(dir.FullName, Path.GetFileName(f)));
            var weights = Directory.GetFiles(dir.FullName, "*.safetensors").Single();
            File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]); // truncated
            await using var p = ServerProcess.Launch(["serve", "--model", dir.FullName, "--urls", "http://127.0.0.1:0"]);
            Assert.Equal(1, await p.WaitForExitAsync(Exit));
            Assert.Contains("the model could not be loaded", p.Output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AspNetCoreUrls_IsHonoured_RelativeModelPathFromTheWorkingDirectory()
    {
        var parent = Path.GetDirectoryName(Model)!;
        await using var p = ServerProcess.Launch(["serve", "--model", "stories260K"],
            new Dictionary<string, string> { ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" }, workingDirectory: parent);
        await p.WaitListeningAsync();
        Assert.Contains("stories260K", await p.Http.GetStringAsync("/v1/models"));
    }

    [Fact]
    public async Task HostAndPort_AsInVllm()
    {
        await using var p = ServerProcess.Launch(["serve", "--model", Model, "--host", "127.0.0.1", "--port", "0"]);
        await p.WaitListeningAsync();
    }

    /// <summary>
    /// A field name with a newline would forge a log line, a 5 MB name would write a 5 MB line: names are escaped and
    /// capped before they reach any logger, so the console shows one line per request, whatever the client sends.
    /// </summary>
    [Fact]
    public async Task UnknownFieldNames_CannotForgeLogLines()
    {
        await using var p = await ServerProcess.StartAsync();
        var http = p.Http;
        const string forged = "12:00:00.000 INF SteerServer.Server.Hosting.ApiKeyMiddleware: admin authenticated";
        var evil = JsonSerializer.Serialize("x\n" + forged + "\r\u001b[2J");
        var huge = new string('k', 5_000_000);
        var body = $"{{\"model\":\"stories260K\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hi\"}}],\"max_tokens\":1,{evil}:1,\"{huge}\":2}}";
        using var r = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        string? line = null;
        for (int i = 0; i < 100 && line is null; i++)
        {
            line = p.Lines.FirstOrDefault(l => l.Contains("ignored unknown request fields", StringComparison.Ordinal));
            if (line is null) await Task.Delay(50);
        }
        Assert.NotNull(line);
        Assert.Contains("\\n12:00:00.000 INF", line);                  // the newline is written as \n
        Assert.DoesNotContain('\u001b', line);                         // no terminal escape reaches the console
        Assert.DoesNotContain(p.Lines, l => l.StartsWith(forged, StringComparison.Ordinal));
        Assert.All(p.Lines, l => Assert.True(l.Length < 2000, $"a {l.Length}-char log line"));
    }

    /// <summary>
    /// SIGTERM with drain timeout 0: the running stream is cancelled at once and says why (not "timed out"), and the
    /// request log counts the tokens it had already streamed.
    /// </summary>
    [Fact]
    public async Task Sigterm_DrainTimeoutCancelsStream_HonestMessageAndRealTokenCount()
    {
        await using var p = await ServerProcess.StartAsync("--drain-timeout", "0", "--max-batch", "1");
        var http = p.Http;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Json.Body("{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":490,\"n\":16,\"temperature\":0,\"stream\":true}"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct.Token);
        var events = new List<string>();
        await foreach (var e in Sse.ReadAsync(response, Ct.Token))
        {
            events.Add(e);
            if (events.Count == 5) p.Terminate();
        }
        var error = events.Select(e => e == "[DONE]" ? default : JsonDocument.Parse(e).RootElement)
            .Single(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("error", out _)).GetProperty("error");
        Assert.Equal("server_shutting_down", error.GetProperty("code").GetString());
        Assert.Contains("shutting down", error.GetProperty("message").GetString());
        Assert.Equal(0, await p.WaitForExitAsync(Exit));
        var logged = p.Lines.Select(l => Regex.Match(l, "POST /v1/completions.*?(?:CompletionTokens=|\"CompletionTokens\":)(\\d+)")).Single(m => m.Success);
        Assert.True(int.Parse(logged.Groups[1].Value) >= 4, p.Output); // at least the tokens of the events read before SIGTERM
    }
}
