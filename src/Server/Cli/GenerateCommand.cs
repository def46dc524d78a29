using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Models.Generation;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.Steering.Preparation;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>generate --model DIR|ORG/NAME (--prompt TEXT [--chat] | --prompt-ids 1,403,407) [--max-tokens N] [--temperature T]
/// [--top-k K] [--top-p P] [--min-p P] [--seed S] [--presence-penalty X] [--frequency-penalty X] [--top-logprobs K]
/// [--ignore-eos] [--dtype f32|bf16|f16] [--threads N] [--backend cpu] [--device D] [--json] [--steering JSON | --steering-file F]</c>: one prompt, tokens printed as they come.
/// Without <c>--json</c> the text streams (token ids when the model has no tokenizer.json). With <c>--json</c>, one object per generated token: <c>{"id","text","logprob","top_logprobs":[{"id","logprob"}]}</c>.
/// Timing goes to stderr.
/// </summary>
internal static class GenerateCommand
{
    public static Task<int> RunAsync(string[] args) => Task.FromResult(Run(args, Console.Out, Console.Error));

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cli = new CliArgs(args);
        var modelArg = cli.Required("model");
        var promptIdsText = cli.String("prompt-ids");
        var promptText = cli.String("prompt");
        bool chat = cli.Flag("chat");
        int maxTokens = cli.Int("max-tokens", 64);
        var sampling = new SamplingParams
        {
            Temperature = (float)cli.Double("temperature", 1.0),
            TopK = cli.Int("top-k", 0),
            TopP = (float)cli.Double("top-p", 1.0),
            MinP = (float)cli.Double("min-p", 0.0),
            Seed = cli.String("seed") is { } seedText
                ? long.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : throw SteerException.InvalidRequest($"--seed must be an integer, got '{seedText}'", "seed")
                : null,
            PresencePenalty = (float)cli.Double("presence-penalty", 0.0),
            FrequencyPenalty = (float)cli.Double("frequency-penalty", 0.0),
            TopLogprobs = cli.Int("top-logprobs", 0),
        };
        bool json = cli.Flag("json");
        bool ignoreEos = cli.Flag("ignore-eos");
        var steering = GenerateSteering.FromArgs(cli);
        var loadOptions = new ModelLoadOptions
        {
            DType = cli.String("dtype") is { } d ? CliArgs.ParseDType(d) : null,
            Threads = cli.String("threads") is null ? null : cli.Int("threads", 0),
            Backend = cli.String("backend") ?? BackendFactories.Default,
            Device = cli.String("device"),
        };
        cli.ThrowOnUnused();

        if (maxTokens <= 0) throw SteerException.InvalidRequest($"--max-tokens must be positive, got {maxTokens}", "max-tokens");
        if (loadOptions.Threads is <= 0) throw SteerException.InvalidRequest("--threads must be positive", "threads");
        if (chat && promptText == null) throw SteerException.InvalidRequest("--chat needs --prompt", "chat");
        if ((promptText == null) == (promptIdsText == null))
            throw SteerException.InvalidRequest("give exactly one of --prompt or --prompt-ids", "prompt");

        var loadClock = Stopwatch.StartNew();
        using var model = Model.Load(modelArg, loadOptions);
        var config = model.Config;
        var backend = model.Backend;
        sampling.Validate(config.VocabSize);
        stderr.WriteLine($"loaded {model.Directory} ({config.Architecture}, {config.NumHiddenLayers} layers) in {loadClock.ElapsedMilliseconds} ms");

        // The server's preparation pipeline. It is needed for --prompt; with --prompt-ids the tokenizer only supplies
        // the printed text and the tokenizer's EOS, when the model has one.
        var pipeline = promptText != null || File.Exists(Path.Combine(model.Directory, "tokenizer.json")) ? PromptPipeline.Load(model.Directory, config) : null;
        var tokenizer = pipeline?.Tokenizer;
        var prepared = promptText == null ? null
            : chat ? pipeline!.Chat(ChatInput.User(promptText), steering.For(pipeline))
            : pipeline!.Text(promptText, steering.For(pipeline), "prompt");
        var (promptIds, steeringPlan) = prepared is null ? (ParseIds(promptIdsText!), steering.WithoutText()) : (prepared.Ids, prepared.Plan);
        var eos = PromptPipeline.EosSet(config, tokenizer);
        GenerateSteering.WriteSummary(stderr, steeringPlan);
        stderr.WriteLine($"prompt ids: {string.Join(',', promptIds)}");
        var detokenizer = tokenizer?.CreateStreamingDetokenizer(skipSpecialTokens: true);

        var cache = backend.CreateCache(promptIds.Length + maxTokens);
        var logits = new float[config.VocabSize];
        var sampler = new Sampler(sampling);
        var generated = new List<int>(maxTokens);
        var buffer = new ArrayBufferWriter<byte>();

        var prefillCpuStart = Environment.CpuUsage.TotalTime;
        var prefillClock = Stopwatch.StartNew();
        backend.Forward(cache, promptIds, steeringPlan.Offsets, logits);
        prefillClock.Stop();
        var prefillCpu = Environment.CpuUsage.TotalTime - prefillCpuStart;

        var decodeClock = new Stopwatch();
        var cpuStart = Environment.CpuUsage.TotalTime; // process CPU time of the decode loop: a load-independent cost next to wall-clock tok/s
        int decodeSteps = 0;
        while (true)
        {
            var token = sampler.Sample(logits, generated);
            if (!ignoreEos && eos.Contains(token.Id)) break;
            generated.Add(token.Id);
            var text = detokenizer?.Add(token.Id) ?? "";
            if (json) WriteJson(stdout, buffer, token, text);
            else if (detokenizer != null) stdout.Write(text);
            else stdout.Write(generated.Count == 1 ? token.Id.ToString(CultureInfo.InvariantCulture) : " " + token.Id.ToString(CultureInfo.InvariantCulture));
            stdout.Flush();
            if (generated.Count == maxTokens) break;
            decodeClock.Start();
            backend.DecodeBatch([cache], [token.Id], [steeringPlan.Offsets], logits);
            decodeClock.Stop();
            decodeSteps++;
        }
        var decodeCpu = Environment.CpuUsage.TotalTime - cpuStart;
        if (!json)
        {
            if (detokenizer != null) stdout.Write(detokenizer.Flush());
            stdout.WriteLine();
        }
        var influence = GenerateSteering.RunInfluence(steeringPlan, model, promptIds);
        if (json && (steering.Given || !steeringPlan.IsEmpty)) stdout.WriteLine(GenerateSteering.FinalJsonLine(steeringPlan, influence));
        else if (influence != null) GenerateSteering.WriteInfluence(stderr, influence);
        stdout.Flush();

        double prefillTps = promptIds.Length / Math.Max(prefillClock.Elapsed.TotalSeconds, 1e-9);
        double decodeTps = decodeSteps / Math.Max(decodeClock.Elapsed.TotalSeconds, 1e-9);
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"prompt {promptIds.Length} tokens in {prefillClock.Elapsed.TotalMilliseconds:F1} ms ({prefillTps:F1} tok/s, {prefillCpu.TotalMilliseconds:F0} CPU-ms); " +
            $"generated {generated.Count} tokens, {decodeSteps} decode steps in {decodeClock.Elapsed.TotalMilliseconds:F1} ms ({decodeTps:F1} tok/s, " +
            $"{(decodeSteps == 0 ? 0 : decodeCpu.TotalMilliseconds / decodeSteps):F1} CPU-ms/step)"));
        return 0;
    }

    private static void WriteJson(TextWriter stdout, ArrayBufferWriter<byte> buffer, SampledToken token, string text)
    {
        buffer.Clear();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("id", token.Id);
            w.WriteString("text", text);
            w.WriteNumber("logprob", token.Logprob);
            w.WriteStartArray("top_logprobs");
            foreach (var alt in token.TopLogprobs)
            {
                w.WriteStartObject();
                w.WriteNumber("id", alt.Id);
                w.WriteNumber("logprob", alt.Logprob);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw SteerException.InvalidRequest("--prompt-ids is empty", "prompt-ids");
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 0)
                throw SteerException.InvalidRequest($"--prompt-ids: '{parts[i]}' is not a token id", "prompt-ids");
        return ids;
    }
}
