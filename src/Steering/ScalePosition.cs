namespace SteerServer.Steering;

/// <summary>PASTA mode (<c>scale_position</c>), with the offsets of steering-methods.md §1.4, current-code column.</summary>
public enum ScalePosition
{
    /// <summary>O[j] = ln α·(k − n(j)): non-span prompt columns damped by α per span.</summary>
    Exclude,
    /// <summary>O[j] = ln α·(n(j) − 1), 0 when k = 0: the same as exclude(1/α).</summary>
    Include,
    /// <summary>O[j] = ln α·k on every prompt column: a prefill no-op, scales the prompt against generated tokens.</summary>
    Generation,
}
