using SteerServer.Models.Errors;
using SteerServer.Server.Hosting;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>serve</c>: runs the HTTP server. Every flag is a name for a configuration key of appsettings.json (the CLI
/// has no defaults of its own), passed on as a command-line configuration source, so flags override environment
/// variables, which override appsettings.json. Any <c>--Section:Key=value</c> is passed on as well.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Flag → configuration key.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Flags = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["model"] = "SteerServer:Model:Path",
        ["served-model-name"] = "SteerServer:Model:Name",
        ["dtype"] = "SteerServer:Model:DType",
        ["threads"] = "SteerServer:Model:Threads",
        ["backend"] = "SteerServer:Model:Backend",
        ["device"] = "SteerServer:Model:Device",
        ["max-context"] = "SteerServer:Model:MaxContext",
        ["head-config"] = "SteerServer:Model:DefaultHeadConfig",
        ["default-steering"] = "SteerServer:Model:DefaultSteering",
        ["max-batch"] = "SteerServer:Queue:MaxBatch",
        ["queue-length"] = "SteerServer:Queue:MaxQueue",
        ["max-kv-tokens"] = "SteerServer:Queue:MaxKvTokens",
        ["max-step-tokens"] = "SteerServer:Queue:MaxStepTokens",
        ["influence-memory-mb"] = "SteerServer:Queue:InfluenceMemoryMb",
        ["request-timeout"] = "SteerServer:Queue:RequestTimeoutSeconds",
        ["drain-timeout"] = "SteerServer:Queue:DrainTimeoutSeconds",
        ["max-n"] = "SteerServer:Limits:MaxN",
        ["max-prompts"] = "SteerServer:Limits:MaxPrompts",
        ["max-sequences"] = "SteerServer:Limits:MaxSequences",
        ["log-prompts"] = "SteerServer:Logging:LogPrompts",
        ["log-format"] = "SteerServer:Logging:Format",
        ["otlp-traces-endpoint"] = "SteerServer:Telemetry:OtlpTracesEndpoint",
        ["otlp-metrics-endpoint"] = "SteerServer:Telemetry:OtlpMetricsEndpoint",
        ["hub-endpoint"] = "SteerServer:Hub:Endpoint",
        ["revision"] = "SteerServer:Hub:Revision",
        ["hf-cache"] = "SteerServer:Hub:CacheDir",
        ["urls"] = "urls",
    };

    /// <summary>Host settings passed through as they are (WebApplicationFactory uses these too).</summary>
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase) { "environment", "contentRoot", "applicationName", "urls" };

    public static async Task<int> RunAsync(string[] args)
    {
        var app = SteerServerApp.Build(ToConfigurationArgs(args));
        await app.RunAsync();
        return 0;
    }

    internal static string[] ToConfigurationArgs(string[] args)
    {
        var cli = new CliArgs(args);
        var result = new List<string>();
        foreach (var (flag, key) in Flags)
        {
            if (!cli.Has(flag)) continue;
            string value = flag == "log-prompts" ? "true" : cli.Required(flag); // a switch: present = on
            result.Add($"--{key}={value}");
        }
        if (cli.Has("api-key"))
        {
            // Comma-separated: several keys can be valid at once (rotation).
            var keys = cli.Required("api-key").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (int i = 0; i < keys.Length; i++) result.Add($"--SteerServer:Auth:ApiKeys:{i}={keys[i]}");
        }
        foreach (var name in cli.Unused().ToList())
        {
            // Flags are lower-case; configuration keys (Section:Key, or a bare section) start upper-case.
            if (!char.IsUpper(name[0]) && !name.Contains(':', StringComparison.Ordinal) && !HostKeys.Contains(name))
                throw SteerException.InvalidRequest($"unknown option --{name} (serve flags: {string.Join(", ", Flags.Keys.Append("api-key").Select(f => "--" + f))}, or or any configuration key as --Section:Key=value)", name);
            // Empty values are skipped: WebApplicationFactory passes every section as "--Section=", which would
            // turn sections such as Serilog:MinimumLevel into empty values.
            if (cli.String(name) is { Length: > 0 } value) result.Add($"--{name}={value}");
        }
        return [.. result];
    }
}
