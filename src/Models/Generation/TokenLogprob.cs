namespace SteerServer.Models.Generation;

/// <summary>A token id and its log-probability (natural log).</summary>
public readonly record struct TokenLogprob(int Id, float Logprob);
