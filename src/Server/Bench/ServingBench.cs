using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SteerServer.Server.Bench;

/// <summary>
/// A serving benchmark for any OpenAI-compatible server (this one, llama.cpp's <c>llama-server</c>, vLLM): concurrent
/// streamed <c>/v1/completions</c> over real HTTP with token-id prompts (exact prompt lengths whatever the vocabulary),
/// timed per chunk as a client sees them. See <see cref="ServingWorkload"/> for the workload.
/// </summary>
public static class ServingBench
{
    // Filler for the Influence requests' prose; the words only need to be ordinary and tokenizable.
    private static readonly string[] Words = ("the a girl boy dog cat park tree sun rain house river town friend ball book "
        + "happy little big red green blue ran jumped played saw found said looked smiled went came day night morning").Split(' ');

    public static async Task<ServingReport> RunAsync(ServingWorkload w, TextWriter? progress = null, CancellationToken ct = default)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = w.BaseUrl,
            Timeout = Timeout.InfiniteTimeSpan, // each request has its own deadline, to its last chunk
        };
        if (w.ApiKey is { Length: > 0 } key) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        string model = w.Model ?? await FirstModelAsync(http, ct);
        var random = new Random(w.Seed);
        var prompts = Enumerable.Range(0, w.Requests).Select(_ => RandomIds(random, w.PromptTokens, w.PromptVocab)).ToList();
        var longPrompt = w.LongPromptTokens > 0 ? RandomIds(random, w.LongPromptTokens, w.PromptVocab) : null;

        // Warm-up: one short request, so the first measured request does not pay connection set-up or JIT.
        await StreamAsync(http, Completion(model, RandomIds(random, 8, w.PromptVocab), 2, w.IgnoreEos), Stopwatch.StartNew(), new StreamRecord(), null, w.RequestTimeout, ct);

        var memory = new MemoryProbe(http, w.ServerPid);
        long? before = await memory.ReadAsync(ct);
        long? peak = before;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = Task.Run(async () =>
        {
            try
            {
                while (!sampling.IsCancellationRequested)
                {
                    if (await memory.ReadAsync(sampling.Token) is { } m && (peak is null || m > peak)) peak = m;
                    await Task.Delay(200, sampling.Token);
                }
            }
            catch (OperationCanceledException) { } // the run ended
        }, CancellationToken.None);

        var clock = Stopwatch.StartNew();
        var records = prompts.Select(_ => new StreamRecord()).ToArray();
        // The extras arrive once the first wave is decoding: each of its streams has 4 chunks (or one has finished).
        int firstWave = Math.Min(w.Concurrency, w.Requests);
        int decoding = 0;
        var midRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChunk(StreamRecord r)
        {
            if (r.ChunkTimes.Count == 4 && Interlocked.Increment(ref decoding) >= firstWave) midRun.TrySetResult();
        }

        int next = -1, done = 0;
        var workers = Enumerable.Range(0, w.Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < w.Requests)
            {
                await StreamAsync(http, Completion(model, prompts[i], w.GenTokens, w.IgnoreEos), clock, records[i], OnChunk, w.RequestTimeout, ct);
                midRun.TrySetResult();
                int finished = Interlocked.Increment(ref done);
                progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# {finished}/{w.Requests} finished at {clock.Elapsed.TotalSeconds:F1} s{(records[i].Error is { } e ? $" (failed: {e})" : "")}"));
            }
        }, ct)).ToList();

        StreamRecord? longRecord = null;
        var influence = new List<StreamRecord>();
        var extras = new List<Task>();
        double? extrasAt = null;
        if (longPrompt is not null || w.InfluenceRequests > 0)
        {
            await midRun.Task.WaitAsync(ct);
            extrasAt = clock.Elapsed.TotalSeconds;
            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# extras sent at {extrasAt:F1} s"));
            if (longPrompt is not null)
            {
                longRecord = new StreamRecord();
                extras.Add(StreamAsync(http, Completion(model, longPrompt, w.GenTokens, w.IgnoreEos), clock, longRecord, null, w.RequestTimeout, ct));
            }
            for (int i = 0; i < w.InfluenceRequests; i++)
            {
                var r = new StreamRecord();
                influence.Add(r);
                extras.Add(StreamAsync(http, InfluenceChat(model, random, w.InfluenceWords), clock, r, null, w.RequestTimeout, ct));
            }
        }
        await Task.WhenAll(workers);
        double wall = records.Max(r => r.EndedAt);
        await Task.WhenAll(extras);
        await sampling.CancelAsync();
        await sampler;
        long? after = await memory.ReadAsync(ct);
        if (after is { } a && (peak is null || a > peak)) peak = a;
        return ServingReport.From(w, model, records, wall, extrasAt, longRecord, influence, memory.Source, before, peak, after);
    }

    private static async Task<string> FirstModelAsync(HttpClient http, CancellationToken ct)
    {
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync("v1/models", ct));
            if (doc.RootElement.GetProperty("data")[0].GetProperty("id").GetString() is { } id) return id;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException) { }
        return "default"; // single-model servers (llama.cpp) accept any name
    }

    private static int[] RandomIds(Random random, int count, int vocab)
    {
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = random.Next(1, vocab);
        return ids;
    }

    private static (string Path, JsonObject Body) Completion(string model, int[] ids, int maxTokens, bool ignoreEos)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["prompt"] = new JsonArray(ids.Select(id => (JsonNode)id).ToArray()),
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        };
        if (ignoreEos) body["ignore_eos"] = true;
        return ("v1/completions", body);
    }

    /// <summary>A prose message with one GUIDE influence tag, asking for the Influence report; one generated token.</summary>
    private static (string Path, JsonObject Body) InfluenceChat(string model, Random random, int words)
    {
        var text = new StringBuilder();
        for (int i = 0; i < words; i++)
        {
            if (i == words / 2) text.Append("<?->");
            text.Append(Words[random.Next(Words.Length)]);
            if (i == words / 2 + 3) text.Append("<-?>");
            text.Append(i % 12 == 11 ? ". " : " ");
        }
        return ("v1/chat/completions", new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text.ToString().TrimEnd() }),
            ["max_tokens"] = 1,
            ["temperature"] = 0,
            ["stream"] = true,
            ["steering"] = new JsonObject { ["influence"] = "influence" },
        });
    }

    /// <summary>Sends one streamed request and records when each content chunk arrives; never throws for a failed request.</summary>
    private static async Task StreamAsync(HttpClient http, (string Path, JsonObject Body) request, Stopwatch clock, StreamRecord record,
        Action<StreamRecord>? onChunk, TimeSpan timeout, CancellationToken cancellationToken)
    {
        record.SentAt = clock.Elapsed.TotalSeconds;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var ct = deadline.Token;
        int chunks = 0;
        int? usage = null;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, request.Path)
            {
                Content = new StringContent(request.Body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            // A connection per request: a reused keep-alive connection that the server closes at the same moment (llama-server
            // closes idle ones after 5 s) fails the request with "response ended prematurely"; a local connect costs nothing here.
            message.Headers.ConnectionClose = true;
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
            {
                string body = await response.Content.ReadAsStringAsync(ct);
                record.Error = $"HTTP {(int)response.StatusCode}: {(body.Length > 300 ? body[..300] : body)}";
                return;
            }
            using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream);
            string? line;
            while ((line = await reader.ReadLineAsync(ct)) != null)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
                var data = line.AsSpan(5).Trim();
                if (data.SequenceEqual("[DONE]")) break;
                using var doc = JsonDocument.Parse(data.ToString());
                var root = doc.RootElement;
                if (root.TryGetProperty("error", out var error))
                {
                    record.Error = error.ToString();
                    break;
                }
                if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object
                    && u.TryGetProperty("completion_tokens", out var ctok)) usage = ctok.GetInt32();
                if (HasContent(root))
                {
                    record.ChunkTimes.Add(clock.Elapsed.TotalSeconds);
                    chunks++;
                    onChunk?.Invoke(record);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            record.Error ??= $"timed out after {timeout.TotalSeconds:F0} s";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            record.Error ??= e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
        }
        finally
        {
            record.EndedAt = clock.Elapsed.TotalSeconds;
            record.CompletionTokens = usage ?? chunks;
        }
    }

    // A chunk carrying generated text: choices[0].text (completions) or choices[0].delta.content (chat).
    private static bool HasContent(JsonElement root)
    {
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0) return false;
        var c = choices[0];
        if (c.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String) return text.GetString()!.Length > 0;
        return c.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
            && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString()!.Length > 0;
    }
}
