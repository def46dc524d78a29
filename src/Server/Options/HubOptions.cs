namespace SteerServer.Server.Options;

/// <summary>
/// Section <c>SteerServer:Hub</c>: where a model id missing from the Hugging Face cache is downloaded from.
/// Empty values fall back to the usual environment variables (<c>HF_ENDPOINT</c>, <c>HF_TOKEN</c>, <c>HF_HOME</c>).
/// </summary>
public sealed class HubOptions
{
    public const string Section = "SteerServer:Hub";

    /// <summary>Hub base URL; empty = <c>HF_ENDPOINT</c>, else https://huggingface.co.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>Access token for gated models; empty = <c>HF_TOKEN</c>.</summary>
    public string Token { get; set; } = "";

    /// <summary>Cache root holding <c>models--org--name</c>; empty = <c>HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else ~/.cache/huggingface/hub.</summary>
    public string CacheDir { get; set; } = "";

    /// <summary>Revision (branch, tag or commit) to download.</summary>
    public string Revision { get; set; } = "main";

    /// <summary>False: never download; a model id missing from the cache is an error.</summary>
    public bool AllowDownload { get; set; } = true;
}
