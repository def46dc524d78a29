namespace SteerServer.Server.Options;

/// <summary>Section <c>SteerServer:Telemetry</c>: where OpenTelemetry sends metrics and traces besides <c>/metrics</c>.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "SteerServer:Telemetry";

    /// <summary>OTLP endpoint for traces (one span per HTTP request, tagged with the model and token counts); empty: no tracing.
    /// gRPC by default (<c>http://collector:4317</c>); with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c> give the full URL (<c>…:4318/v1/traces</c>).</summary>
    public string OtlpTracesEndpoint { get; set; } = "";

    /// <summary>OTLP endpoint for the same metrics <c>/metrics</c> serves, pushed every <c>OTEL_METRIC_EXPORT_INTERVAL</c> ms (60 s); empty: none.</summary>
    public string OtlpMetricsEndpoint { get; set; } = "";
}
