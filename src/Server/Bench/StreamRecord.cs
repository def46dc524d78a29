namespace SteerServer.Server.Bench;

/// <summary>
/// What one request saw, in seconds since the benchmark started: when it was sent, when each content chunk arrived,
/// and how it ended. Chunk times are what a client sees; a chunk may carry more than one token (a server holds text
/// back until a character is complete), so gaps are measured between chunks, as vLLM's serving benchmark does.
/// </summary>
public sealed class StreamRecord
{
    public double SentAt { get; set; }

    public List<double> ChunkTimes { get; } = [];

    public double EndedAt { get; set; }

    /// <summary><c>usage.completion_tokens</c> when the server sent usage, else the number of content chunks.</summary>
    public int CompletionTokens { get; set; }

    /// <summary>Null when it succeeded; else the status or exception text.</summary>
    public string? Error { get; set; }

    public double? TimeToFirstToken => ChunkTimes.Count > 0 ? ChunkTimes[0] - SentAt : null;

    public IEnumerable<double> Gaps()
    {
        for (int i = 1; i < ChunkTimes.Count; i++) yield return ChunkTimes[i] - ChunkTimes[i - 1];
    }
}
