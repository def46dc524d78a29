namespace SteerServer.Steering.Spans;

/// <summary>How a character range becomes a token range (steering-methods.md §1.5).</summary>
public enum SpanBoundaryRule
{
    /// <summary>API.md's rule (AISteer360): first token with start ≤ cs &lt; end, through the token with start &lt; ce ≤ end.</summary>
    HalfOpen,
    /// <summary>pastalib's closed tests start ≤ cs ≤ end and start ≤ ce ≤ end; pulls in the token ending at cs. For parity tests only.</summary>
    Closed,
}
