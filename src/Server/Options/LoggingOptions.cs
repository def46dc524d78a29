namespace SteerServer.Server.Options;

/// <summary>Section <c>SteerServer:Logging</c>. (Serilog's own settings live in the <c>Serilog</c> section.)</summary>
public sealed class LoggingOptions
{
    public const string Section = "SteerServer:Logging";

    /// <summary>Log prompt text and generated text at Debug level. Off by default: prompts can be private.</summary>
    public bool LogPrompts { get; set; }
}
