using System.Globalization;
using System.Security.Cryptography;
using SteerServer.Models.Inference;
using SteerServer.Steering.Preparation;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// The <c>profile</c> command end to end: load model, tokenizer and tasks; measure every head (resuming from the
/// score log); rank per task; take the union of each task's top-k; compare it with no steering and with all heads;
/// write the result and the bare head_config file.
/// </summary>
public static class ProfileRunner
{
    /// <param name="log">progress and summary (stderr)</param>
    /// <param name="progressInPlace">redraw the progress line with <c>\r</c> (a terminal)</param>
    /// <param name="onHeadMeasured">called after each head is recorded (a test hook)</param>
    public static ProfileOutcome Run(ProfileSettings settings, TextWriter log, bool progressInPlace = false,
                                     Action<int, int>? onHeadMeasured = null, CancellationToken cancellationToken = default)
    {
        var options = settings.Options;
        if (options.TopK <= 0) throw Models.Errors.SteerException.InvalidRequest($"--top-k must be positive, got {options.TopK}", "top-k");
        using var model = Model.Load(settings.Model, new ModelLoadOptions { DType = settings.DType, Threads = settings.Threads, Backend = settings.Backend, Device = settings.Device });
        var config = model.Config;
        var (measurer, profiler) = Prepare(model, settings, log);

        string sidecarPath = settings.ResolvedSidecarPath;
        if (settings.Fresh && File.Exists(sidecarPath)) File.Delete(sidecarPath);
        var fingerprint = new ProfileFingerprint(
            Sha256(Path.Combine(model.Directory, "config.json")),
            Directory.EnumerateFiles(model.Directory, "*.safetensors").Sum(FileLength),
            config.NumHiddenLayers, config.NumAttentionHeads, ProfileTaskFile.Sha256(settings.TasksPath),
            options.Alpha, Name(options.ScalePosition), settings.DType?.ToString().ToLowerInvariant() ?? "");

        ProfileRunStats stats;
        Dictionary<(int, int), IReadOnlyDictionary<string, TaskDelta>> scores;
        using (var sidecar = ProfileSidecar.Open(sidecarPath, fingerprint))
        {
            stats = profiler.Run(sidecar, new ProfileProgress(log, progressInPlace), options.MaxHeads, onHeadMeasured, cancellationToken);
            scores = new(sidecar.Completed);
        }
        if (stats.HeadExamples > 0)
            log.WriteLine(Invariant(
                $"profile: measured {stats.Measured} heads in {stats.Elapsed.TotalSeconds:F1} s: {1000 * stats.Elapsed.TotalSeconds / stats.HeadExamples:F2} ms per head-example ") + Invariant(
                $"({1000 * stats.CpuTime.TotalSeconds / stats.HeadExamples:F2} ms CPU, {(double)stats.Rows / stats.HeadExamples:F1} token rows each), ") + Invariant(
                $"{stats.Rows / Math.Max(stats.Elapsed.TotalSeconds, 1e-9):F0} token rows/s"));
        if (!stats.Complete)
        {
            log.WriteLine($"profile: stopped with {stats.Resumed + stats.Measured}/{stats.TotalHeads} heads scored in {sidecarPath}; run the same command again to resume");
            return new ProfileOutcome(stats, null, sidecarPath, measurer.Examples.Count);
        }

        var rankings = ProfileRanking.Rank(profiler, measurer, scores, options.Metric);
        var union = ProfileRanking.Union(rankings, options.TopK);
        List<TaskEvaluation>? evaluation = null;
        if (settings.Evaluate)
        {
            evaluation = EvaluateHeads(measurer, profiler, union);
        }
        var result = new ProfileResult(model.Directory, Path.GetFullPath(settings.TasksPath), options,
                                       config.NumHiddenLayers, config.NumAttentionHeads, rankings, union, evaluation);
        WriteAtomically(settings.OutPath, result.ToJson());
        WriteAtomically(settings.ResolvedHeadConfigOutPath, result.HeadConfigJson());
        Summarize(log, result, settings);
        return new ProfileOutcome(stats, result, sidecarPath, measurer.Examples.Count);
    }

    /// <summary>
    /// <c>profile --evaluate FILE</c>: no profiling; the tasks' mean target log-likelihood and accuracy with no steering,
    /// with the head set in <paramref name="headConfigPath"/> (any head_config form), and with every head: e.g. a head set
    /// chosen on one task file, checked on held-out examples.
    /// </summary>
    public static List<TaskEvaluation> Evaluate(ProfileSettings settings, string headConfigPath, TextWriter log)
    {
        if (!File.Exists(headConfigPath)) throw Models.Errors.SteerException.InvalidRequest($"--evaluate: file not found: {headConfigPath}", "evaluate");
        using var model = Model.Load(settings.Model, new ModelLoadOptions { DType = settings.DType, Threads = settings.Threads });
        var heads = HeadConfig.Parse(File.ReadAllText(headConfigPath), headConfigPath).Resolve(SteeringLimits.From(model.Config));
        var (measurer, profiler) = Prepare(model, settings, log);
        var evaluation = EvaluateHeads(measurer, profiler, heads);
        log.WriteLine($"profile: evaluating {headConfigPath} ({heads.Values.Sum(h => h.Length)} heads)");
        WriteEvaluation(log, evaluation);
        return evaluation;
    }

    private static (HeadMeasurer, HeadProfiler) Prepare(Model model, ProfileSettings settings, TextWriter log)
    {
        var options = settings.Options;
        if (!(options.Alpha > 0) || !double.IsFinite(options.Alpha))
            throw Models.Errors.SteerException.InvalidRequest($"--alpha must be a finite number > 0, got {options.Alpha}", "alpha");
        var config = model.Config;
        var lines = ProfileTaskFile.Load(settings.TasksPath);
        var examples = ProfileExampleBuilder.Build(lines, PromptPipeline.Load(model.Directory, config));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var measurer = new HeadMeasurer(model.Backend, examples, options.ScalePosition, options.Alpha);
        var profiler = new HeadProfiler(measurer);
        log.WriteLine(Invariant(
            $"profile: {model.Directory}: {config.NumHiddenLayers} layers × {config.NumAttentionHeads} heads; {examples.Count} examples in {profiler.Tasks.Count} tasks ") + Invariant(
            $"({string.Join(", ", profiler.Tasks)}); alpha {options.Alpha}, {Name(options.ScalePosition)}; baseline pass {clock.Elapsed.TotalSeconds:F1} s"));

        return (measurer, profiler);
    }

    private static List<TaskEvaluation> EvaluateHeads(HeadMeasurer measurer, HeadProfiler profiler, IReadOnlyDictionary<int, int[]> heads)
    {
        var none = ProfileRanking.PerTask(measurer, measurer.Baseline);
        var chosen = ProfileRanking.PerTask(measurer, measurer.MeasureFromScratch(heads));
        var all = new Dictionary<int, int[]>();
        for (int l = 0; l < profiler.NumLayers; l++) all[l] = [.. Enumerable.Range(0, profiler.NumHeads)];
        var everything = ProfileRanking.PerTask(measurer, measurer.MeasureFromScratch(all));
        return [.. profiler.Tasks.Select(t => new TaskEvaluation(t, none[t], chosen[t], everything[t]))];
    }

    private static void Summarize(TextWriter log, ProfileResult result, ProfileSettings settings)
    {
        int k = result.Options.TopK;
        foreach (var r in result.Rankings)
            log.WriteLine(Invariant(
                $"profile: task {r.Task} ({r.Examples} examples, baseline logprob {r.BaselineLogProb:F3}, accuracy {r.BaselineAccuracy:P0}): top {k} ") +
                string.Join(", ", r.Top(k).Select(s => Invariant($"L{s.Layer}H{s.Head} {s.LogProbDelta:+0.000;-0.000} ({s.AccuracyDelta:+0%;-0%;0%})"))));
        log.WriteLine($"profile: head_config ({result.HeadCount} heads) {result.HeadConfigJson().Trim()}");
        if (result.Evaluation is { } evaluation) WriteEvaluation(log, evaluation);
        log.WriteLine($"profile: wrote {settings.OutPath} and {settings.ResolvedHeadConfigOutPath}");
    }

    private static void WriteEvaluation(TextWriter log, IEnumerable<TaskEvaluation> evaluation)
    {
        foreach (var e in evaluation)
            log.WriteLine(Invariant(
                    $"profile: task {e.Task}: mean target logprob none {e.None.LogProb:F3}, head_config {e.HeadConfig.LogProb:F3}, all heads {e.AllHeads.LogProb:F3}; ") + Invariant(
                    $"accuracy {e.None.Accuracy:P0} / {e.HeadConfig.Accuracy:P0} / {e.AllHeads.Accuracy:P0}"));
    }

    private static string Name(ScalePosition mode) => mode.ToString().ToLowerInvariant();

    // Through symbolic links (HF cache snapshots link to blobs): FileInfo.Length would give the link's own size.
    private static long FileLength(string path)
    {
        using var handle = File.OpenHandle(path);
        return RandomAccess.GetLength(handle);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    // Never leave a half-written result behind.
    private static void WriteAtomically(string path, string text)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, full, overwrite: true);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
