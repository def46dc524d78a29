namespace SteerServer.Steering;

/// <summary>
/// One applied span of <c>steering_applied.spans</c>. <see cref="Source"/> is <c>"substring"</c> (PASTA;
/// <see cref="Offset"/> = ln α) or <c>"guide"</c> (<see cref="Offset"/> = the tag level's Δ; 0 for an
/// Influence-only <c>&lt;?-&gt;</c> span). Token range is half-open over prompt positions.
/// </summary>
public sealed record SteeringReportSpan(string Text, string Source, int TokenStart, int TokenEnd, double Offset);
