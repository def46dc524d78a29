using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SteerServer.Models.Errors;
using SteerServer.Server.Options;

namespace SteerServer.Server.Observability;

/// <summary>
/// OpenTelemetry: the server's <see cref="ServerMetrics"/>, ASP.NET Core's HTTP metrics and the .NET runtime's
/// (<c>System.Runtime</c>: GC, thread pool, process CPU and memory) on <c>/metrics</c> in Prometheus format, and
/// optionally pushed over OTLP; traces over OTLP when an endpoint is set.
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "steerserver";

    public static WebApplicationBuilder AddSteerServerTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var tracesEndpoint = Endpoint(options.OtlpTracesEndpoint, "otlp-traces-endpoint");
        var metricsEndpoint = Endpoint(options.OtlpMetricsEndpoint, "otlp-metrics-endpoint");
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<ServerMetrics>();
        var otel = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService(ServiceName));
        otel.WithMetrics(metrics =>
        {
            metrics.AddMeter(ServerMetrics.MeterName, "System.Runtime").AddAspNetCoreInstrumentation().AddProcessInstrumentation();
            metrics.AddPrometheusExporter(o =>
            {
                o.ScrapeResponseCacheDurationMilliseconds = 0; // a scrape sees every request finished before it
                o.ScopeInfoEnabled = false; // no otel_scope_* label on every series
            });
            if (metricsEndpoint is not null) metrics.AddOtlpExporter(o => o.Endpoint = metricsEndpoint);
        });
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
        {
            // Meters are matched by name process-wide; a host's own meters come from its IMeterFactory. Without
            // this, two servers in one process (the tests) would each count the other's requests.
            var factory = services.GetRequiredService<IMeterFactory>();
            metrics.AddView(instrument => instrument.Meter.Scope is IMeterFactory owner && !ReferenceEquals(owner, factory) ? MetricStreamConfiguration.Drop : null);
        });
        if (tracesEndpoint is not null)
            otel.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddOtlpExporter(o => o.Endpoint = tracesEndpoint));
        return builder;
    }

    /// <summary><c>/health</c> and <c>/metrics</c>, polled every few seconds: neither logged at Information nor traced.</summary>
    public static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    private static Uri? Endpoint(string value, string flag)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw SteerException.InvalidRequest($"--{flag} must be an http(s) URL, got '{value}'", flag);
    }
}
