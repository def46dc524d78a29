namespace SteerServer.Steering.Profiling;

/// <summary>A task with no steering, with the chosen head set, and with every head steered (same α and mode).</summary>
public sealed record TaskEvaluation(string Task, HeadSetScore None, HeadSetScore HeadConfig, HeadSetScore AllHeads);
