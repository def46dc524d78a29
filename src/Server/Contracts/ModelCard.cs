namespace SteerServer.Server.Contracts;

/// <summary>
/// A served model, with the shape a client needs to build a <c>head_config</c>, and the configured default
/// head set (<c>{"layer": [heads]}</c>, null when none) that PASTA uses when a request names no <c>head_config</c>.
/// </summary>
public sealed record ModelCard(string Id, long Created, int MaxModelLen, int NumHiddenLayers, int NumAttentionHeads, int NumKeyValueHeads,
    IReadOnlyDictionary<string, int[]>? DefaultHeadConfig)
{
    public string Object => "model";
    public string OwnedBy => "steerserver";
}
