using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Checkpoints;
using SteerServer.Server.Cli;
using SteerServer.Server.Tests.Infrastructure;
using SteerServer.Steering.Preparation;
using SteerServer.Steering.Profiling;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Cli;

/// <summary>
/// One preparation pipeline: the server, <c>generate --chat</c> and <c>profile</c> turn the same chat request into the
/// same token ids, on a model without a chat template (plain format: the tokenizer's BOS) and on one whose template
/// writes no BOS (then none is added, as transformers' apply_chat_template; the profiler used to add one).
/// </summary>
public sealed class PreparationParityTests
{
    private const string Content = "Lily had a dog named Max. One day,";

    // stories260K's files with a chat template that writes no BOS of its own.
    private const string Template = "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChatRequest_ServerGenerateAndProfile_GiveTheSameTokenIds(bool withTemplate)
    {
        using var dir = withTemplate ? TemplatedCopy() : null;
        string modelDir = dir?.Path ?? TestDataPaths.Models("stories260K");
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?> { ["SteerServer:Model:Path"] = modelDir });
        using var models = await server.Http.GetAsync("/v1/models", Ct.Token);
        string model = (await Json.ReadAsync(models, Ct.Token)).GetProperty("data")[0].GetProperty("id").GetString()!;

        // Server: the ids of the chat request (/tokenize runs the generation endpoints' pipeline), and its greedy reply.
        var ids = await ServerIdsAsync(server, model, Content);
        Assert.Equal(!withTemplate, ids[0] == 1); // BOS (<s> = 1) only for the plain format
        using var chat = await server.Http.PostAsync("/v1/chat/completions", Json.Body(JsonSerializer.Serialize(new
        {
            model, messages = new[] { new { role = "user", content = Content } }, max_tokens = 8, temperature = 0,
        })), Ct.Token);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        var reply = JsonDocument.Parse(await chat.Content.ReadAsStringAsync(Ct.Token)).RootElement;
        Assert.Equal(ids.Length, reply.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        // generate --chat: the same ids, so the same greedy continuation.
        var (generateIds, generateText) = Generate(modelDir, Content);
        Assert.Equal(ids, generateIds);
        Assert.Equal(reply.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), generateText);

        // profile: a task line with the same messages.
        var line = ProfileTaskFile.Parse(new JsonObject
        {
            ["task"] = "t",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Content }),
            ["substrings"] = new JsonArray("Max"),
            ["target"] = " Lily",
        }.ToJsonString(), "tasks.jsonl")[0];
        var example = ProfileExampleBuilder.Build(line, PromptPipeline.Load(modelDir, ModelConfig.Load(modelDir)));
        Assert.Equal(ids, example.PromptIds);

        // GUIDE tags come out before the template, in the server and in generate alike.
        const string tagged = "Lily had a dog named <!->Max<-!>. One day,";
        Assert.Equal(ids, await ServerIdsAsync(server, model, tagged));
        Assert.Equal(ids, Generate(modelDir, tagged).Ids);
    }

    private static async Task<int[]> ServerIdsAsync(KestrelServer server, string model, string content)
    {
        using var response = await server.Http.PostAsync("/tokenize", Json.Body(JsonSerializer.Serialize(new
        {
            model, messages = new[] { new { role = "user", content } },
        })), Ct.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct.Token)).RootElement;
        return [.. body.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32())];
    }

    /// <summary><c>generate --chat</c>'s prompt ids (its stderr line) and greedy text.</summary>
    private static (int[] Ids, string Text) Generate(string modelDir, string content)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(0, GenerateCommand.Run(["--model", modelDir, "--prompt", content, "--chat", "--max-tokens", "8", "--temperature", "0", "--json"], stdout, stderr));
        var idsLine = stderr.ToString().Split('\n').Single(l => l.StartsWith("prompt ids: ", StringComparison.Ordinal));
        var ids = idsLine["prompt ids: ".Length..].Trim().Split(',').Select(int.Parse).ToArray();
        var text = string.Concat(stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.TryGetProperty("text", out _)).Select(e => e.GetProperty("text").GetString()));
        return (ids, text);
    }

    private static TempModel TemplatedCopy()
    {
        var source = TestDataPaths.Models("stories260K");
        var dir = new TempModel();
        foreach (var f in new[] { "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "special_tokens_map.json" })
            File.Copy(Path.Combine(source, f), Path.Combine(dir.Path, f));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer_config.json")))!.AsObject();
        config["chat_template"] = Template;
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), config.ToJsonString());
        return dir;
    }

    private sealed class TempModel : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("steerserver-parity-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
