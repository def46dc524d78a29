using System.Diagnostics;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using SteerServer.Models.Errors;
using SteerServer.Server.Hosting;
using SteerServer.Server.Options;

namespace SteerServer.Server.Observability;

/// <summary>
/// Serilog for everything the server logs, and Serilog.AspNetCore's request logging: one event per request,
/// enriched with what a generation endpoint learned (<see cref="RequestLog"/>). Levels and extra sinks come from the
/// <c>Serilog</c> configuration section; the console format from <c>SteerServer:Logging:Format</c>.
/// </summary>
public static class RequestLogging
{
    public const string Template = "{RequestId} {RequestMethod} {RequestPath} {StatusCode} in {Elapsed:0.0} ms";

    public static WebApplicationBuilder AddSteerServerLogging(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(LoggingOptions.Section).Get<LoggingOptions>() ?? new LoggingOptions();
        if (!options.IsValid)
            throw SteerException.InvalidRequest($"--log-format (SteerServer:Logging:Format) must be text or json, got '{options.Format}'", "log-format");
        var configuration = new LoggerConfiguration().ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext();
        configuration = options.IsJson
            ? configuration.WriteTo.Console(new CompactJsonFormatter())
            : configuration.WriteTo.Console(new SingleLineTextFormatter());
        var logger = configuration.CreateLogger();
        // This app's logger, not the static Log.Logger: tests run several servers in one process.
        builder.Services.AddSerilog(logger, dispose: true);
        builder.Services.AddSingleton<Serilog.ILogger>(logger);
        return builder;
    }

    public static IApplicationBuilder UseSteerServerRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(o =>
        {
            o.Logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
            o.MessageTemplate = Template;
            o.GetLevel = Level;
            o.EnrichDiagnosticContext = Enrich;
        });

    /// <summary>Probes (<c>/health</c>, <c>/metrics</c>) every few seconds would drown the log: Debug unless they fail.</summary>
    private static LogEventLevel Level(HttpContext context, double elapsedMs, Exception? error)
    {
        if (error is not null || context.Response.StatusCode >= 500) return LogEventLevel.Error;
        return Telemetry.IsProbe(context.Request.Path) ? LogEventLevel.Debug : LogEventLevel.Information;
    }

    private static void Enrich(IDiagnosticContext diagnostics, HttpContext context)
    {
        diagnostics.Set("RequestId", context.TraceIdentifier);
        diagnostics.Set("Route", RequestRoute.Of(context));
        if (context.RequestAborted.IsCancellationRequested) diagnostics.Set("Aborted", true);
        if (context.Items[typeof(RequestLog)] is not RequestLog log) return;
        diagnostics.Set("Model", log.Model);
        diagnostics.Set("Stream", log.Stream);
        diagnostics.Set("Steered", log.Steered);
        diagnostics.Set("PromptTokens", log.PromptTokens);
        diagnostics.Set("CompletionTokens", log.CompletionTokens);
        if (log.FinishReason is not null) diagnostics.Set("FinishReason", log.FinishReason);
        if (log.TimeToFirstTokenMs is { } ttft) diagnostics.Set("TtftMs", Math.Round(ttft, 1));
        if (log.TokensPerSecond is { } rate) diagnostics.Set("TokensPerSecond", Math.Round(rate, 1));
        TagTrace(log);
    }

    /// <summary>The same facts on the request's trace span (OpenTelemetry GenAI names), when tracing is on.</summary>
    private static void TagTrace(RequestLog log)
    {
        if (Activity.Current is not { IsAllDataRequested: true } span) return;
        span.SetTag("gen_ai.response.model", log.Model);
        span.SetTag("gen_ai.usage.input_tokens", log.PromptTokens);
        span.SetTag("gen_ai.usage.output_tokens", log.CompletionTokens);
        if (log.FinishReason is not null) span.SetTag("gen_ai.response.finish_reasons", log.FinishReason);
        if (log.TimeToFirstTokenMs is { } ttft) span.SetTag("gen_ai.latency.time_to_first_token", ttft / 1000);
        span.SetTag("steerserver.steered", log.Steered);
    }
}
