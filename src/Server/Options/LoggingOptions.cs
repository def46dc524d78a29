namespace SteerServer.Server.Options;

/// <summary>Section <c>SteerServer:Logging</c>. (Levels and extra sinks live in Serilog's own <c>Serilog</c> section.)</summary>
public sealed class LoggingOptions
{
    public const string Section = "SteerServer:Logging";

    /// <summary>Console format: <c>text</c> (one line per event) or <c>json</c> (Serilog's compact JSON, one object per line).</summary>
    public string Format { get; set; } = "text";

    /// <summary>Log each request's prompt text at Information level. Off by default: prompts can be private.</summary>
    public bool LogPrompts { get; set; }

    public bool IsJson => string.Equals(Format, "json", StringComparison.OrdinalIgnoreCase);

    public bool IsValid => IsJson || string.Equals(Format, "text", StringComparison.OrdinalIgnoreCase);
}
