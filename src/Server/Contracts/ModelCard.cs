namespace SteerServer.Server.Contracts;

/// <summary>A served model, with the shape a client needs to build a <c>head_config</c>.</summary>
public sealed record ModelCard(string Id, long Created, int MaxModelLen, int NumHiddenLayers, int NumAttentionHeads, int NumKeyValueHeads)
{
    public string Object => "model";
    public string OwnedBy => "steerserver";
}
