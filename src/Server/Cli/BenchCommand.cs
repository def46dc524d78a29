using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Checkpoints;
using SteerServer.Server.Bench;
using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.Steering;
using SteerServer.Steering.Spans;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>bench (--model DIR | --random SHAPE [--seed N]) [--dtype f32|bf16|f16|q8_0|q4] [--prompt-tokens 128]
/// [--gen-tokens 64] [--batch 1] [--threads 2] [--backend cpu] [--device D] [--steering JSON] [--repeat 3] [--json]</c>:
/// prefill and decode tokens/s (median of the repeats), one JSON object per configuration, the same figures
/// <c>llama-bench</c> prints (pp = prefill of the prompt, tg = greedy decode). <c>--dtype</c> and <c>--batch</c>
/// take comma lists. With <c>--steering</c> each repeat runs unsteered and steered back to back, so the two
/// medians see the same machine load. <c>--kernels</c> benchmarks the matrix products alone; <c>--profile</c> adds
/// one run with the decode step's stages timed. <c>--serve URL</c> benchmarks a running OpenAI-compatible server
/// instead (<see cref="RunServing"/>).
/// </summary>
internal static class BenchCommand
{
    public static int Run(string[] argv)
    {
        var args = new CliArgs(argv);
        if (args.String("serve") is { } url) return RunServing(url, args);
        string? modelDir = args.String("model");
        string? shape = args.String("random");
        int seed = args.Int("seed", 0);
        var dtypes = (args.String("dtype") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => (DType?)(d.Equals("q8", StringComparison.OrdinalIgnoreCase) ? DType.Q8_0 : CliArgs.ParseDType(d))).DefaultIfEmpty(null).ToList();
        int promptTokens = args.Int("prompt-tokens", 128);
        int genTokens = args.Int("gen-tokens", 64);
        var batches = (args.String("batch") ?? "1").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(b => int.TryParse(b, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
                : throw SteerException.InvalidRequest($"--batch must be positive integers, got '{b}'", "batch")).ToList();
        int threads = args.Int("threads", Environment.ProcessorCount);
        string? steeringJson = args.String("steering");
        int repeat = args.Int("repeat", 3);
        bool json = args.Flag("json");
        bool kernels = args.Flag("kernels");
        bool bestOnly = args.Flag("best-only");
        string backend = args.String("backend") ?? BackendFactories.Default;
        string? device = args.String("device");
        bool profile = args.Flag("profile");
        args.ThrowOnUnused();

        if (threads < 1) throw SteerException.InvalidRequest("--threads must be at least 1", "threads");
        if (repeat < 1) throw SteerException.InvalidRequest("--repeat must be at least 1", "repeat");
        if (promptTokens < 1 || genTokens < 1) throw SteerException.InvalidRequest("--prompt-tokens and --gen-tokens must be at least 1");
        KernelThreadPool.ConfigureDefault(threads);

        if (kernels) return KernelBench.Run(threads, repeat, json, bestOnly);
        if ((modelDir == null) == (shape == null)) throw SteerException.InvalidRequest("give exactly one of --model DIR or --random SHAPE", "model");

        if (!json)
        {
            Console.WriteLine($"# {Environment.ProcessorCount} logical CPUs, {threads} threads, kernels {KernelDispatch.BestVariant}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load {LoadAverage()}");
            Console.WriteLine("# MB/tok: weights a decode step reads; GB/s: that × steps/s; %bw: of the streaming read bandwidth over the same weights");
            Console.WriteLine($"{"model",-16} {"dtype",-5} {"thr",3} {"batch",5} {"steer",5} {"pp",5} {"pp tok/s",9} {"tg",4} {"tg tok/s",9} {"MB/tok",7} {"GB/s",5} {"%bw",4} {"alloc B/tok",11} {"peak MB",8} {"pp cpu-ms",9} {"tg cpu-ms",9}");
        }
        foreach (var dtype in dtypes)
        {
            string dir = modelDir ?? RandomModel.Create(shape!, StoredDTypeFor(dtype), seed);
            string name = shape ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
            using var model = Model.Load(dir, new ModelLoadOptions { DType = dtype, Threads = threads, Backend = backend, Device = device });
            var steering = steeringJson == null ? null : ParseSteering(steeringJson, model.Config, promptTokens);
            var weights = (model.Backend as CpuBackend)?.Weights;
            long bytesPerToken = weights?.DecodeBytesPerToken ?? 0;
            string dtypeName = dtype is { } d ? DTypeNames.Name(d) : model.Backend.Info.DType;
            foreach (int batch in batches)
            {
                var run = new BenchRun(model.Backend, promptTokens, genTokens, batch, seed);
                run.Measure(null); // warm-up: JIT tiers, run-state and KV buffers
                var off = new List<BenchResult>();
                var on = new List<BenchResult>();
                var stream = new List<double>();
                for (int r = 0; r < repeat; r++)
                {
                    // The ceiling of decode, next to each repeat: a step reads every weight once, so steps/s × weight bytes
                    // per step is the bandwidth reached, against a plain streaming read of the same weights.
                    if (weights != null) stream.Add(StreamBandwidth.MeasureGBs(weights.DecodeMatrices, KernelThreadPool.Default, passes: 2));
                    off.Add(run.Measure(null));
                    if (steering != null) on.Add(run.Measure(steering));
                }
                double streamGBs = Median(stream);
                if (!json && weights != null) Console.WriteLine($"# {name} {dtypeName}: streaming read of its {bytesPerToken / 1e6:F0} MB of weights: {streamGBs:F1} GB/s (median of {stream.Count})");
                var figures = new Figures(name, dtypeName, threads, batch, promptTokens, genTokens, bytesPerToken, streamGBs);
                Print(figures, false, off, json);
                if (steering != null) Print(figures, true, on, json);
                if (profile) PrintProfile(figures, run);
            }
        }
        return 0;
    }

    /// <summary>
    /// <c>bench --serve URL [--model NAME] [--requests 16] [--concurrency 8] [--prompt-tokens 256] [--gen-tokens 64]
    /// [--long-prompt-tokens N] [--influence N] [--influence-words 400] [--prompt-vocab 32000] [--server-pid PID]
    /// [--api-key KEY] [--no-ignore-eos] [--seed 0] [--timeout 600] [--json]</c>: see <see cref="ServingWorkload"/>.
    /// </summary>
    private static int RunServing(string url, CliArgs args)
    {
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            throw SteerException.InvalidRequest($"--serve must be the server's base URL (http://host:port), got '{url}'", "serve");
        var w = new ServingWorkload
        {
            BaseUrl = baseUrl.AbsolutePath.EndsWith("/v1/", StringComparison.Ordinal) ? new Uri(baseUrl, "..") : baseUrl,
            Model = args.String("model"),
            ApiKey = args.String("api-key"),
            Requests = Positive(args, "requests", 16),
            Concurrency = Positive(args, "concurrency", 8),
            PromptTokens = Positive(args, "prompt-tokens", 256),
            GenTokens = Positive(args, "gen-tokens", 64),
            PromptVocab = Positive(args, "prompt-vocab", 32000),
            LongPromptTokens = NonNegative(args, "long-prompt-tokens", 0),
            InfluenceRequests = NonNegative(args, "influence", 0),
            InfluenceWords = Positive(args, "influence-words", 400),
            IgnoreEos = !args.Flag("no-ignore-eos"),
            ServerPid = args.String("server-pid") is null ? null : Positive(args, "server-pid", 0),
            Seed = args.Int("seed", 0),
            RequestTimeout = TimeSpan.FromSeconds(Positive(args, "timeout", 600)),
        };
        bool json = args.Flag("json");
        args.ThrowOnUnused();
        if (w.PromptVocab < 2) throw SteerException.InvalidRequest("--prompt-vocab must be at least 2", "prompt-vocab");
        var report = ServingBench.RunAsync(w, Console.Error).GetAwaiter().GetResult(); // progress on stderr, figures on stdout
        Console.WriteLine(json ? report.ToJson().ToJsonString() : report.ToText());
        return report.Failed == 0 && report.InfluenceSucceeded == w.InfluenceRequests && report.LongPromptError is null ? 0 : 1;
    }

    private static int Positive(CliArgs args, string name, int fallback) => args.Int(name, fallback) is var v && v >= 1 ? v
        : throw SteerException.InvalidRequest($"--{name} must be at least 1", name);

    private static int NonNegative(CliArgs args, string name, int fallback) => args.Int(name, fallback) is var v && v >= 0 ? v
        : throw SteerException.InvalidRequest($"--{name} must be 0 or more", name);

    // A random model is written in the benchmarked dtype; q8_0 and q4 are quantised at load from bf16 (smaller to write).
    private static DType StoredDTypeFor(DType? dtype) => dtype switch { DType.BF16 or DType.Q8_0 or DType.Q4 => DType.BF16, DType.F16 => DType.F16, _ => DType.F32 };

    /// <summary>What one configuration's lines say besides the measured results.</summary>
    private sealed record Figures(string Model, string DType, int Threads, int Batch, int PromptTokens, int GenTokens,
        long WeightBytesPerToken, double StreamGBs);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static void Print(Figures f, bool steering, List<BenchResult> results, bool json)
    {
        var (model, dtype, threads, batch, promptTokens, genTokens) = (f.Model, f.DType, f.Threads, f.Batch, f.PromptTokens, f.GenTokens);
        double prefill = Median(results.Select(r => r.PrefillTokS));
        double decode = Median(results.Select(r => r.DecodeTokS));
        double allocPerToken = Median(results.Select(r => r.AllocatedBytesPerDecodeToken));
        double allocThreadPerToken = Median(results.Select(r => r.ThreadAllocatedBytesPerDecodeToken));
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        double cpuPerStep = Median(results.Select(r => r.DecodeCpuMsPerStep));
        double prefillCpu = Median(results.Select(r => r.PrefillCpuMs));
        // A decode step reads the weights once for the whole batch: steps/s × bytes per step.
        double reachedGBs = decode / batch * f.WeightBytesPerToken / 1e9;
        double best = results.Count == 0 ? 0 : results.Max(r => r.DecodeTokS);
        if (json)
        {
            var o = new JsonObject
            {
                ["model"] = model,
                ["dtype"] = dtype,
                ["threads"] = threads,
                ["batch"] = batch,
                ["prompt_tokens"] = promptTokens,
                ["gen_tokens"] = genTokens,
                ["prefill_tok_s"] = Math.Round(prefill, 2),
                ["decode_tok_s"] = Math.Round(decode, 2),
                ["steering"] = steering,
                ["repeats"] = results.Count,
                ["decode_tok_s_all"] = new JsonArray(results.Select(r => (JsonNode)Math.Round(r.DecodeTokS, 2)).ToArray()),
                ["weight_mb_per_step"] = Math.Round(f.WeightBytesPerToken / 1e6, 1),
                ["bandwidth_gb_s"] = Math.Round(reachedGBs, 2),
                ["bandwidth_gb_s_best"] = Math.Round(best / batch * f.WeightBytesPerToken / 1e9, 2),
                ["stream_gb_s"] = Math.Round(f.StreamGBs, 2),
                ["prefill_tok_s_all"] = new JsonArray(results.Select(r => (JsonNode)Math.Round(r.PrefillTokS, 2)).ToArray()),
                ["alloc_bytes_per_decode_token"] = Math.Round(allocPerToken, 1),
                ["alloc_bytes_per_decode_token_caller_thread"] = Math.Round(allocThreadPerToken, 1),
                ["decode_cpu_ms_per_step"] = Math.Round(cpuPerStep, 3),
                ["prefill_cpu_ms"] = Math.Round(prefillCpu, 1),
                ["peak_working_set_mb"] = Math.Round(peak / 1048576.0, 1),
                ["kernels"] = KernelDispatch.BestVariant.ToString().ToLowerInvariant(),
            };
            Console.WriteLine(o.ToJsonString());
        }
        else
        {
            Console.WriteLine($"{model,-16} {dtype,-5} {threads,3} {batch,5} {(steering ? "on" : "off"),5} {promptTokens,5} {prefill,9:F1} {genTokens,4} {decode,9:F1} {f.WeightBytesPerToken / 1e6,7:F0} {reachedGBs,5:F1} {100 * reachedGBs / f.StreamGBs,4:F0} {allocPerToken,11:F0} {peak / 1048576.0,8:F0} {prefillCpu,9:F1} {cpuPerStep,9:F2}");
        }
    }

    /// <summary>
    /// One more unsteered run with the forward stages timed: where a decode step's time goes. Stages that read
    /// weights (the products) set against the rest (norms, RoPE, attention, residuals, thread hand-offs, sampling).
    /// </summary>
    private static void PrintProfile(Figures f, BenchRun run)
    {
        var profile = new ForwardProfile();
        var result = run.Measure(null, profile);
        var stages = profile.PerPass().ToList();
        double staged = stages.Sum(s => s.Ms), step = staged + result.SamplingMsPerStep;
        Console.WriteLine($"# decode step profile, {f.Model} {f.DType} batch {f.Batch}: medians per stage sum to {step:F2} ms per step " +
            $"({f.WeightBytesPerToken / 1e6 / step:F1} GB/s of weights; mean step {result.DecodeMsPerStep:F2} ms), load {LoadAverage()}");
        foreach (var (stage, ms) in stages)
            Console.WriteLine($"#   {stage,-12} {ms,8:F3} ms  {100 * ms / step,5:F1} %");
        Console.WriteLine($"#   {"sampling",-12} {result.SamplingMsPerStep,8:F3} ms  {100 * result.SamplingMsPerStep / step,5:F1} %  (mean)");
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length == 0 ? 0 : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>The API's <c>steering</c> object; a benchmark prompt is random token ids, so spans are <c>token_spans</c>.</summary>
    private static AttentionOffsets? ParseSteering(string jsonText, ModelConfig config, int promptTokens)
    {
        var limits = new SteeringLimits(config.NumHiddenLayers, config.NumAttentionHeads);
        var request = SteeringRequest.Parse(jsonText, limits) ?? SteeringRequest.Default;
        if (request.Substrings.Count > 0)
            throw SteerException.InvalidRequest("bench prompts are random token ids: use token_spans instead of substrings", "steering.substrings");
        var ranges = request.TokenSpans;
        for (int i = 0; i < ranges.Count; i++)
            if (ranges[i].TokenEnd > promptTokens)
                throw SteerException.InvalidRequest($"token span [{ranges[i].TokenStart}, {ranges[i].TokenEnd}) must lie within the {promptTokens}-token prompt", $"steering.token_spans[{i}]");
        if (ranges.Count > 0 && request.HeadConfig == null)
            throw SteerException.InvalidRequest("token_spans need a head_config", "steering.head_config");
        var heads = request.HeadConfig?.Resolve(limits) ?? new SortedDictionary<int, int[]>();
        return SteeringPlanner.BuildOffsets(limits, promptTokens, request.SteerDecode, request.ScalePosition, Math.Log(request.Alpha),
            ranges, heads, []);
    }
}
