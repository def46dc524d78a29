namespace SteerServer.Server.Hosting;

/// <summary>What a generation endpoint learned about its request, for the one log line written per request.</summary>
public sealed class RequestLog
{
    public string? Model { get; set; }
    public int PromptTokens { get; set; }
    public int CompletionTokens { get; set; }
    public bool Steered { get; set; }
    public bool Stream { get; set; }
    public string? FinishReason { get; set; }
    public double? TimeToFirstTokenMs { get; set; }

    /// <summary>Generated tokens per second after the first one (all choices together); null below two tokens.</summary>
    public double? TokensPerSecond { get; set; }

    public static RequestLog For(HttpContext context)
    {
        if (context.Items[typeof(RequestLog)] is RequestLog log) return log;
        log = new RequestLog();
        context.Items[typeof(RequestLog)] = log;
        return log;
    }
}
