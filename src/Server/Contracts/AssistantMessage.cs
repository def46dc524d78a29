namespace SteerServer.Server.Contracts;

public sealed record AssistantMessage(string Content)
{
    public string Role => "assistant";
    public string? Refusal => null;
}
