namespace SteerServer.Server.Bench;

/// <summary>
/// What <c>bench --serve URL</c> sends. The main workload is <see cref="Requests"/> streamed completions of
/// <see cref="PromptTokens"/> random token ids each, <see cref="Concurrency"/> at a time, each generating
/// <see cref="GenTokens"/> tokens. Once the first wave is decoding, the optional extras arrive at once: one long
/// prompt of <see cref="LongPromptTokens"/> ids (streamed) and <see cref="InfluenceRequests"/> chat requests of
/// about <see cref="InfluenceWords"/> words asking for <c>steering.influence</c>.
/// </summary>
public sealed record ServingWorkload
{
    public required Uri BaseUrl { get; init; }

    /// <summary>The <c>model</c> field sent; null: the first id of <c>GET /v1/models</c>.</summary>
    public string? Model { get; init; }

    public string? ApiKey { get; init; }

    public int Requests { get; init; } = 16;

    public int Concurrency { get; init; } = 8;

    public int PromptTokens { get; init; } = 256;

    public int GenTokens { get; init; } = 64;

    /// <summary>Prompt ids are drawn uniformly from [1, PromptVocab): small enough for any real vocabulary.</summary>
    public int PromptVocab { get; init; } = 32000;

    /// <summary>0: no long prompt.</summary>
    public int LongPromptTokens { get; init; }

    /// <summary>0: no Influence requests.</summary>
    public int InfluenceRequests { get; init; }

    public int InfluenceWords { get; init; } = 400;

    /// <summary>Sends <c>ignore_eos</c> so every stream generates exactly <see cref="GenTokens"/> (llama.cpp, vLLM and this server honour it).</summary>
    public bool IgnoreEos { get; init; } = true;

    /// <summary>Read memory from <c>/proc/PID/status</c> (VmRSS); null: from the server's <c>/metrics</c>, if it exports process memory.</summary>
    public int? ServerPid { get; init; }

    public int Seed { get; init; }

    /// <summary>Per request, from sent to its last chunk; past it the request counts as failed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);
}
