using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.Steering;
using SteerServer.Steering.Profiling;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>profile --model DIR --tasks FILE.jsonl [--alpha 0.01] [--scale-position exclude|include|generation] [--top-k 4]
/// [--metric logprob|accuracy] [--out heads.json] [--head-config-out FILE] [--scores FILE] [--fresh] [--max-heads N]
/// [--no-evaluate] [--dtype f32|bf16|f16|q8_0|q4] [--threads N] [--backend cpu] [--device D]</c>: PASTA head profiling (see
/// <see cref="ProfileRunner"/>). <c>--evaluate HEADS.json</c> instead scores a given head set on the tasks against
/// no steering and all heads (e.g. on held-out examples). Progress on stderr; Ctrl+C stops after the current head, and running the same command
/// again resumes from the score file.
/// </summary>
internal static class ProfileCommand
{
    public static int Run(string[] args)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl+C kills the process
            e.Cancel = true;
            Console.Error.WriteLine();
            Console.Error.WriteLine("profile: stopping after the current head (Ctrl+C again to abort now)");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Run(args, Console.Error, !Console.IsErrorRedirected, cts.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    public static int Run(string[] args, TextWriter stderr, bool progressInPlace, CancellationToken cancellationToken)
    {
        var settings = Parse(args);
        if (settings.EvaluateHeadConfigPath is { } heads)
        {
            ProfileRunner.Evaluate(settings, heads, stderr);
            return 0;
        }
        var outcome = ProfileRunner.Run(settings, stderr, progressInPlace, cancellationToken: cancellationToken);
        if (outcome.Result is not null) return 0;
        return cancellationToken.IsCancellationRequested ? 130 : 0; // --max-heads: a partial run is a success
    }

    public static ProfileSettings Parse(string[] args)
    {
        var cli = new CliArgs(args);
        var model = cli.Required("model");
        var tasks = cli.Required("tasks");
        var options = new ProfileOptions
        {
            Alpha = cli.Double("alpha", 0.01),
            ScalePosition = (cli.String("scale-position") ?? "exclude") switch
            {
                "exclude" => ScalePosition.Exclude,
                "include" => ScalePosition.Include,
                "generation" => ScalePosition.Generation,
                var other => throw SteerException.InvalidRequest($"--scale-position must be exclude, include or generation, got '{other}'", "scale-position"),
            },
            TopK = cli.Int("top-k", 4),
            Metric = (cli.String("metric") ?? "logprob") switch
            {
                "logprob" => ProfileMetric.LogProb,
                "accuracy" => ProfileMetric.Accuracy,
                var other => throw SteerException.InvalidRequest($"--metric must be logprob or accuracy, got '{other}'", "metric"),
            },
            MaxHeads = cli.String("max-heads") is null ? null : cli.Int("max-heads", 0),
        };
        var settings = new ProfileSettings(model, tasks, cli.String("out") ?? "heads.json")
        {
            Options = options,
            HeadConfigOutPath = cli.String("head-config-out"),
            SidecarPath = cli.String("scores"),
            Fresh = cli.Flag("fresh"),
            Evaluate = !cli.Flag("no-evaluate"),
            EvaluateHeadConfigPath = cli.String("evaluate"),
            DType = cli.String("dtype") is { } d ? CliArgs.ParseDType(d) : null,
            Threads = cli.String("threads") is null ? null : cli.Int("threads", 0),
            Backend = cli.String("backend") ?? BackendFactories.Default,
            Device = cli.String("device"),
        };
        cli.ThrowOnUnused();
        if (options.MaxHeads is < 0) throw SteerException.InvalidRequest("--max-heads must not be negative", "max-heads");
        if (settings.Threads is <= 0) throw SteerException.InvalidRequest("--threads must be positive", "threads");
        return settings;
    }
}
