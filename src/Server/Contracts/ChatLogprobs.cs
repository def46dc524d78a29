namespace SteerServer.Server.Contracts;

/// <summary><c>choices[].logprobs</c> of chat: one entry per generated token (per delta when streaming).</summary>
public sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content)
{
    public object? Refusal => null;
}
