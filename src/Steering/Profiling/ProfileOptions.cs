namespace SteerServer.Steering.Profiling;

/// <summary>How each head is steered while it is measured, and how the head set is chosen.</summary>
public sealed record ProfileOptions
{
    /// <summary>PASTA α (&gt; 0), applied as ln α; 0.01 is the paper's default.</summary>
    public double Alpha { get; init; } = 0.01;

    public ScalePosition ScalePosition { get; init; } = ScalePosition.Exclude;

    /// <summary>Heads taken from each task's ranking into the union.</summary>
    public int TopK { get; init; } = 4;

    public ProfileMetric Metric { get; init; } = ProfileMetric.LogProb;

    /// <summary>Stop after this many newly measured heads (the rest stays for a resumed run); null = all.</summary>
    public int? MaxHeads { get; init; }
}
