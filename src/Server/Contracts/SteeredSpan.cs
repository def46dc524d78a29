namespace SteerServer.Server.Contracts;

/// <summary>One steered span: its text, <c>substring</c> or <c>guide</c>, half-open token range and the offset added.</summary>
public sealed record SteeredSpan(string Text, string Source, int TokenStart, int TokenEnd, double Offset);
