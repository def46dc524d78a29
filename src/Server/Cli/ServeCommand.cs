using SteerServer.Models.Errors;
using SteerServer.Server.Hosting;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>serve</c>: runs the HTTP server. Every flag is a name for a configuration key of appsettings.json (the CLI
/// has no defaults of its own), passed on as a command-line configuration source, so flags override environment
/// variables, which override appsettings.json. Any <c>--Section:Key=value</c> is passed on as well.
/// A model that cannot be loaded stops the process with exit code 1 (a restart policy can act), as vLLM does.
/// </summary>
internal static class ServeCommand
{
    /// <summary>One flag: its configuration key (null: handled here), value placeholder (null: a switch) and help line.</summary>
    internal sealed record Option(string Flag, string? Key, string? Value, string Help);

    internal static readonly IReadOnlyList<Option> Options =
    [
        new("model", "SteerServer:Model:Path", "DIR|ORG/NAME", "model directory, or a Hugging Face id (HF cache, downloaded if missing)"),
        new("served-model-name", "SteerServer:Model:Name", "NAME", "the model name clients send (id or directory name)"),
        new("dtype", "SteerServer:Model:DType", "f32|bf16|f16|q8_0|q4", "weight format (as stored)"),
        new("threads", "SteerServer:Model:Threads", "N", "compute threads (all cores)"),
        new("backend", "SteerServer:Model:Backend", "NAME", "engine backend: cpu, or torch when built (cpu)"),
        new("device", "SteerServer:Model:Device", "DEVICE", "backend device, e.g. cpu or cuda:0 (the backend's default)"),
        new("max-context", "SteerServer:Model:MaxContext", "N", "prompt + generated tokens (max_position_embeddings)"),
        new("head-config", "SteerServer:Model:DefaultHeadConfig", "FILE", "PASTA head set used when a request gives none"),
        new("default-steering", "SteerServer:Model:DefaultSteering", "FILE", "steering object used when a request sends none"),
        new("max-batch", "SteerServer:Queue:MaxBatch", "N", "sequences decoded together (8)"),
        new("queue-length", "SteerServer:Queue:MaxQueue", "N", "waiting requests before 429 (64)"),
        new("max-kv-tokens", "SteerServer:Queue:MaxKvTokens", "N", "KV positions running sequences hold, taken on use (max batch × context)"),
        new("max-step-tokens", "SteerServer:Queue:MaxStepTokens", "N", "most tokens one scheduler step runs: decode first, then prompt chunks (256)"),
        new("step-target-ms", "SteerServer:Queue:TargetStepMs", "MS", "step length the token budget aims at while streams decode; 0 = always the most (400)"),
        new("influence-memory-mb", "SteerServer:Queue:InfluenceMemoryMb", "MB", "attention capture memory for Influence requests"),
        new("request-timeout", "SteerServer:Queue:RequestTimeoutSeconds", "S", "per request, queued + generating (600)"),
        new("drain-timeout", "SteerServer:Queue:DrainTimeoutSeconds", "S", "on shutdown, running requests get this long (30)"),
        new("max-n", "SteerServer:Limits:MaxN", "N", "largest n (16)"),
        new("max-prompts", "SteerServer:Limits:MaxPrompts", "N", "prompts in one /v1/completions request (32)"),
        new("max-sequences", "SteerServer:Limits:MaxSequences", "N", "sequences one request starts, prompts × n (64)"),
        new("max-body-bytes", "SteerServer:Limits:MaxRequestBodyBytes", "N", "largest request body; larger is a 413 (16777216)"),
        new("log-format", "SteerServer:Logging:Format", "text|json", "console log format (text)"),
        new("log-prompts", "SteerServer:Logging:LogPrompts", null, "also log each prompt's text"),
        new("otlp-traces-endpoint", "SteerServer:Telemetry:OtlpTracesEndpoint", "URL", "OTLP collector for traces"),
        new("otlp-metrics-endpoint", "SteerServer:Telemetry:OtlpMetricsEndpoint", "URL", "OTLP collector for the /metrics series"),
        new("hub-endpoint", "SteerServer:Hub:Endpoint", "URL", "Hugging Face Hub endpoint (HF_ENDPOINT)"),
        new("revision", "SteerServer:Hub:Revision", "REV", "Hub revision to download (main)"),
        new("hf-cache", "SteerServer:Hub:CacheDir", "DIR", "Hugging Face cache (HF_HOME/hub)"),
        new("api-key", null, "K1,K2", "bearer keys for /v1/*, /tokenize, /detokenize (none: open)"),
        new("host", null, "HOST", "listen address, as vLLM's --host (0.0.0.0)"),
        new("port", null, "PORT", "listen port, as vLLM's --port (8080)"),
        new("urls", "urls", "URLS", "listen URLs, ';'-separated (also ASPNETCORE_URLS)"),
    ];

    /// <summary>Host settings passed through as they are (WebApplicationFactory uses these too).</summary>
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase) { "environment", "contentRoot", "applicationName", "urls" };

    public static async Task<int> RunAsync(string[] args)
    {
        var app = SteerServerApp.Build(ToConfigurationArgs(args));
        var host = app.Services.GetRequiredService<ModelHost>();
        // The worker records a failed load and /health says 503; here that also ends the process (once started:
        // stopping a host that is still starting throws instead of stopping it cleanly).
        app.Lifetime.ApplicationStarted.Register(() => host.Failure.ContinueWith(_ => app.Lifetime.StopApplication(), TaskScheduler.Default));
        await app.RunAsync();
        if (host.State != ModelState.Failed) return 0;
        Console.Error.WriteLine($"error: the model could not be loaded: {host.FailureMessage}");
        return 1;
    }

    internal static string[] ToConfigurationArgs(string[] args)
    {
        var cli = new CliArgs(args);
        var result = new List<string>();
        foreach (var o in Options)
        {
            if (o.Key is null || !cli.Has(o.Flag)) continue;
            string value = o.Value is null ? "true" : cli.Required(o.Flag); // a switch: present = on
            result.Add($"--{o.Key}={value}");
        }
        if (cli.Has("api-key"))
        {
            // Comma-separated: several keys can be valid at once (rotation).
            var keys = cli.Required("api-key").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (int i = 0; i < keys.Length; i++) result.Add($"--SteerServer:Auth:ApiKeys:{i}={keys[i]}");
        }
        if (cli.Has("host") || cli.Has("port"))
        {
            if (cli.Has("urls")) throw SteerException.InvalidRequest("give either --urls or --host/--port, not both", "urls");
            var host = cli.String("host") ?? "0.0.0.0";
            int port = cli.Int("port", 8080);
            if (port is < 0 or > 65535) throw SteerException.InvalidRequest($"--port must be in [0, 65535], got {port}", "port");
            if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')) host = $"[{host}]"; // an IPv6 literal
            result.Add($"--urls=http://{host}:{port}");
        }
        foreach (var name in cli.Unused().ToList())
        {
            // Flags are lower-case; configuration keys (Section:Key, or a bare section) start upper-case.
            if (!char.IsUpper(name[0]) && !name.Contains(':', StringComparison.Ordinal) && !HostKeys.Contains(name))
                throw SteerException.InvalidRequest($"unknown option --{name} (see serve --help; any configuration key can be given as --Section:Key=value)", name);
            // Empty values are skipped: WebApplicationFactory passes every section as "--Section=", which would
            // turn sections such as Serilog:MinimumLevel into empty values.
            if (cli.String(name) is { Length: > 0 } value) result.Add($"--{name}={value}");
        }
        return [.. result];
    }
}
