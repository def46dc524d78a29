using System.Text;
using System.Text.Json;
using SteerServer.Models.Tokenization;
using SteerServer.Server.Cli;
using SteerServer.Server.Tests.Infrastructure;
using SteerServer.TestData;

namespace SteerServer.Server.Tests.Api;

/// <summary>Generation through the HTTP pipeline on stories260K: same tokens as the CLI, streaming, usage, stops, UTF-8.</summary>
public sealed class GenerationTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private const string Prompt = "Once upon a time";
    private static readonly Tokenizer Tokenizer = Tokenizer.Load(TestDataPaths.Models(ServerFactory.ModelName));

    private Task<JsonElement> CompleteAsync(string json) => Json.PostAsync(factory.CreateClient(), "/v1/completions", json, Ct.Token);

    private async Task<List<JsonElement>> StreamAsync(string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json.Body(json) };
        using var response = await factory.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct.Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        return Sse.Json(await Sse.ReadAllAsync(response, Ct.Token));
    }

    private static string StreamedText(List<JsonElement> chunks, string field = "text") =>
        string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0])
            .Select(ch => field == "text" ? ch.GetProperty("text").GetString() : ch.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));

    [Fact]
    public async Task Completions_GreedyOnceUponATime_SameTokensAsGenerate()
    {
        // The CLI's greedy ids for the same prompt ids the server's tokenizer makes.
        var tokenized = await Json.PostAsync(factory.CreateClient(), "/tokenize", $"{{\"prompt\":\"{Prompt}\"}}", Ct.Token);
        var promptIds = tokenized.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal([1, 403, 407, 261, 378], promptIds);
        var stdout = new StringWriter();
        Assert.Equal(0, GenerateCommand.Run(["--model", TestDataPaths.Models(ServerFactory.ModelName), "--prompt-ids", string.Join(',', promptIds),
            "--max-tokens", "32", "--temperature", "0", "--json"], stdout, new StringWriter()));
        var cliIds = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt32()).ToArray();
        Assert.Equal(32, cliIds.Length);

        var body = await CompleteAsync($"{{\"model\":\"stories260K\",\"prompt\":\"{Prompt}\",\"max_tokens\":32,\"temperature\":0,\"logprobs\":1}}");
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(Tokenizer.Decode(cliIds, skipSpecialTokens: true), choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(32, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(5, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        // Token by token: the logprobs' token texts are the CLI ids' texts.
        var tokens = choice.GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()).ToArray();
        Assert.Equal(32, tokens.Length);
        var expected = new List<string>();
        int previous = promptIds[^1];
        foreach (var id in cliIds)
        {
            var before = Tokenizer.Decode([previous], false);
            expected.Add(Tokenizer.Decode([previous, id], false)[before.Length..]);
            previous = id;
        }
        Assert.Equal(expected, tokens);
    }

    [Fact]
    public async Task Completions_Streamed_EqualsNonStreamed()
    {
        const string request = "\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"temperature\":0";
        var whole = await CompleteAsync($"{{{request}}}");
        var chunks = await StreamAsync("/v1/completions", $"{{{request},\"stream\":true}}");
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), StreamedText(chunks));
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => (c.GetProperty("id").GetString(), c.GetProperty("created").GetInt64())).Distinct());
    }

    [Fact]
    public async Task Chat_Streamed_EqualsNonStreamed_RoleChunkFirst()
    {
        const string request = "\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":30,\"temperature\":0";
        var whole = await Json.PostAsync(factory.CreateClient(), "/v1/chat/completions", $"{{{request}}}", Ct.Token);
        var chunks = await StreamAsync("/v1/chat/completions", $"{{{request},\"stream\":true}}");
        var first = chunks[0].GetProperty("choices")[0].GetProperty("delta");
        Assert.Equal("assistant", first.GetProperty("role").GetString());
        Assert.Equal("", first.GetProperty("content").GetString());
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StreamedText(chunks, "delta"));
        Assert.All(chunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Single(chunks.Select(c => (c.GetProperty("id").GetString(), c.GetProperty("created").GetInt64())).Distinct());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Chat_UsageChunk_ExactlyWhenRequested(bool includeUsage)
    {
        var options = includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "";
        var chunks = await StreamAsync("/v1/chat/completions",
            $"{{\"model\":\"stories260K\",\"messages\":[{{\"role\":\"user\",\"content\":\"Once upon a time\"}}],\"max_tokens\":6,\"temperature\":0,\"stream\":true{options}}}");
        var withUsage = chunks.Where(c => c.TryGetProperty("usage", out var u) && u.ValueKind != JsonValueKind.Null).ToList();
        if (!includeUsage)
        {
            Assert.Empty(withUsage);
            return;
        }
        var usage = Assert.Single(withUsage);
        Assert.Equal(chunks[^1].GetRawText(), usage.GetRawText()); // the last event before [DONE]
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(6, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(5, usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(11, usage.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StopString_SplitAcrossTokens_CutExactlyAndNeverStreamed(bool stream)
    {
        // Greedy text: ", there was a little girl named Lily..." with tokens " little", " g", "ir", "l": the stop spans three.
        const string request = "\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":32,\"temperature\":0";
        var full = (await CompleteAsync($"{{{request}}}")).GetProperty("choices")[0].GetProperty("text").GetString()!;
        const string stop = "ittle gir";
        int at = full.IndexOf(stop, StringComparison.Ordinal);
        Assert.True(at > 0, $"precondition: '{stop}' in the greedy text '{full}'");
        string text, finish;
        if (stream)
        {
            var chunks = await StreamAsync("/v1/completions", $"{{{request},\"stop\":[\"{stop}\"],\"stream\":true}}");
            Assert.DoesNotContain(chunks, c => c.GetRawText().Contains("ittle", StringComparison.Ordinal));
            text = StreamedText(chunks);
            finish = chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString()!;
        }
        else
        {
            var choice = (await CompleteAsync($"{{{request},\"stop\":\"{stop}\"}}")).GetProperty("choices")[0];
            text = choice.GetProperty("text").GetString()!;
            finish = choice.GetProperty("finish_reason").GetString()!;
        }
        Assert.Equal(full[..at], text);
        Assert.Equal("stop", finish);
    }

    [Fact]
    public async Task StopString_PrefixThatNeverCompletes_TextUnchanged()
    {
        const string request = "\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":32,\"temperature\":0,\"stream\":true";
        var plain = StreamedText(await StreamAsync("/v1/completions", $"{{{request}}}"));
        var held = await StreamAsync("/v1/completions", $"{{{request},\"stop\":[\"girlfriend\",\"Lily.!\"]}}");
        Assert.Equal(plain, StreamedText(held));
        Assert.Equal("length", held[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task MultiByteCharacter_SplitAcrossByteTokens_ArrivesWhole()
    {
        // Bias the three byte tokens of U+6957 (E6 A5 97) far above everything else; the penalties rotate them,
        // so the model writes the character as three byte-fallback tokens again and again.
        var bias = "{\"233\":100,\"154\":100,\"168\":100}";
        var request = $"\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"temperature\":0,\"logit_bias\":{bias},\"presence_penalty\":2,\"frequency_penalty\":2";
        var whole = (await CompleteAsync($"{{{request}}}")).GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.Equal(string.Concat(Enumerable.Repeat("\u6957", 8)), whole); // precondition: 8 characters of 3 byte tokens each
        var chunks = await StreamAsync("/v1/completions", $"{{{request},\"stream\":true}}");
        var texts = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()!).Where(t => t.Length > 0).ToList();
        Assert.All(texts, t => Assert.Equal("\u6957", t)); // every chunk is one whole character, never a part
        Assert.Equal(whole, string.Concat(texts));
    }

    [Fact]
    public async Task Completions_NWithSeed_DistinctReproducibleChoices()
    {
        const string request = "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"temperature\":1,\"seed\":7,\"n\":3}";
        var a = await CompleteAsync(request);
        var b = await CompleteAsync(request);
        var textsA = a.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToArray();
        var textsB = b.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToArray();
        Assert.Equal([0, 1, 2], a.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal(textsA, textsB);
        Assert.Equal(36, a.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Steered_Stream_ReportRidesOnLastChunkBeforeUsage()
    {
        var chunks = await StreamAsync("/v1/chat/completions",
            "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a <!!->time<-!!>\"}],\"max_tokens\":4,\"temperature\":0," +
            "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"steering\":{\"substrings\":[\"upon\"],\"head_config\":{\"1\":[0,3]},\"influence\":\"attention_rollout\"}}");
        var reported = chunks.Select((c, i) => (c, i)).Where(x => x.c.TryGetProperty("steering_applied", out _)).ToList();
        var (chunk, index) = Assert.Single(reported);
        Assert.Equal(chunks.Count - 2, index); // then the usage chunk, then [DONE]
        var spans = chunk.GetProperty("steering_applied").GetProperty("spans");
        Assert.Equal(2, spans.GetArrayLength());
        Assert.Contains(spans.EnumerateArray(), s => s.GetProperty("source").GetString() == "substring" && s.GetProperty("text").GetString() == "upon");
        Assert.Contains(spans.EnumerateArray(), s => s.GetProperty("source").GetString() == "guide" && s.GetProperty("text").GetString() == "time");
        Assert.Equal("attention_rollout", chunk.GetProperty("influence").GetProperty("metric").GetString());
        Assert.Equal(6, chunk.GetProperty("influence").GetProperty("layers").GetArrayLength()); // layer -1 and 5 layers
    }

    [Fact]
    public async Task SteeringFalse_GuideTagsStayAsTyped()
    {
        var body = await Json.PostAsync(factory.CreateClient(), "/v1/chat/completions",
            "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a <!->time<-!>\"}],\"max_tokens\":2,\"temperature\":0,\"steering\":false}", Ct.Token);
        Assert.False(body.TryGetProperty("steering_applied", out _));
        Assert.True(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 5); // the tags were tokenized as text
    }

    [Fact]
    public async Task Models_ListAndGet_CarryShape()
    {
        var list = await Json.ReadAsync(await factory.CreateClient().GetAsync("/v1/models", Ct.Token));
        var card = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal("stories260K", card.GetProperty("id").GetString());
        Assert.Equal(512, card.GetProperty("max_model_len").GetInt32());
        Assert.Equal(5, card.GetProperty("num_hidden_layers").GetInt32());
        Assert.Equal(8, card.GetProperty("num_attention_heads").GetInt32());
        Assert.Equal(JsonValueKind.Null, card.GetProperty("default_head_config").ValueKind); // none configured
        var one = await Json.ReadAsync(await factory.CreateClient().GetAsync("/v1/models/stories260K", Ct.Token));
        Assert.Equal(card.GetRawText(), one.GetRawText());
    }

    [Fact]
    public async Task Models_WithDefaultHeadConfig_ShowItAndSteerWithIt()
    {
        var file = Path.Combine(Path.GetTempPath(), $"steer-heads-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, "{\"3\":[5,1,1],\"1\":[0]}"); // unsorted, with a duplicate head: shown resolved
        try
        {
            await using var server = await KestrelServer.StartAsync(new Dictionary<string, string?> { ["SteerServer:Model:DefaultHeadConfig"] = file });
            var card = await Json.ReadAsync(await server.Http.GetAsync("/v1/models/stories260K", Ct.Token));
            Assert.Equal("{\"1\":[0],\"3\":[1,5]}", card.GetProperty("default_head_config").GetRawText());

            var body = await Json.PostAsync(server.Http, "/v1/completions",
                "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":2,\"temperature\":0,\"steering\":{\"substrings\":[\"upon\"]}}", Ct.Token);
            var applied = body.GetProperty("steering_applied");
            Assert.Equal(2, applied.GetProperty("layers").GetInt32());
            Assert.Equal(3, applied.GetProperty("heads").GetInt32());
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task Tokenize_Messages_ReturnsPromptAndOffsetsCoveringText()
    {
        var body = await Json.PostAsync(factory.CreateClient(), "/tokenize",
            "{\"messages\":[{\"role\":\"system\",\"content\":\"Be kind.\"},{\"role\":\"user\",\"content\":\"Hi \\ud83d\\ude00\"}]}", Ct.Token);
        var prompt = body.GetProperty("prompt").GetString()!;
        Assert.Equal("Be kind.\n\nHi \U0001F600", prompt); // plain format: contents joined by a blank line
        var offsets = body.GetProperty("offsets").EnumerateArray().Select(o => (o[0].GetInt32(), o[1].GetInt32())).ToList();
        Assert.Equal(body.GetProperty("count").GetInt32(), offsets.Count);
        int codePoints = prompt.EnumerateRunes().Count();
        Assert.Equal(codePoints, offsets.Max(o => o.Item2)); // offsets are code points: the emoji counts once
        var ids = body.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal(1, ids[0]); // BOS: the plain format has no template to write it
        var detok = await Json.PostAsync(factory.CreateClient(), "/detokenize", $"{{\"tokens\":[{string.Join(',', ids[1..])}]}}", Ct.Token);
        Assert.Equal(prompt, detok.GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task Metrics_PrometheusText_HasTheSeries()
    {
        await CompleteAsync("{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":3,\"temperature\":0}");
        using var response = await factory.CreateClient().GetAsync("/metrics", Ct.Token);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var metrics = new PrometheusText(text);
        foreach (var series in new[] { "steerserver_requests_total", "steerserver_request_finish_total", "steerserver_num_requests_waiting",
                     "steerserver_num_requests_running", "steerserver_kv_cache_usage_perc", "steerserver_prompt_tokens_total", "steerserver_generation_tokens_total",
                     "steerserver_time_to_first_token_seconds_bucket", "steerserver_inter_token_latency_seconds_count",
                     "steerserver_steered_requests_total", "steerserver_cancelled_requests_total" })
            Assert.True(metrics.Has(series), series);
    }

    [Fact]
    public async Task Swagger_DescribesSteering()
    {
        var doc = await Json.ReadAsync(await factory.CreateClient().GetAsync("/swagger/v1/swagger.json", Ct.Token));
        var steering = doc.GetProperty("components").GetProperty("schemas").GetProperty("ChatCompletionRequest").GetProperty("properties").GetProperty("steering");
        foreach (var field in new[] { "substrings", "head_config", "alpha", "scale_position", "delta", "influence", "delta_influence", "steer_decode" })
            Assert.True(steering.GetProperty("properties").TryGetProperty(field, out _), field);
        Assert.True(doc.GetProperty("paths").TryGetProperty("/v1/chat/completions", out _));
    }
}
