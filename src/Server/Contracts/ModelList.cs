namespace SteerServer.Server.Contracts;

public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    public string Object => "list";
}
