namespace SteerServer.Steering.Guide;

/// <summary>A GUIDE tag pair (steering-methods.md §2.2).</summary>
public enum GuideLevel
{
    /// <summary><c>&lt;!-&gt; … &lt;-!&gt;</c>: Δ = delta/2.</summary>
    Low,
    /// <summary><c>&lt;!!-&gt; … &lt;-!!&gt;</c>: Δ = delta.</summary>
    Mid,
    /// <summary><c>&lt;!!!-&gt; … &lt;-!!!&gt;</c>: Δ = 2·delta.</summary>
    High,
    /// <summary><c>&lt;?-&gt; … &lt;-?&gt;</c>: no bias; selects the span of the Influence metric.</summary>
    Influence,
}
