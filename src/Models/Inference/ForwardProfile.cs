using System.Diagnostics;

namespace SteerServer.Models.Inference;

/// <summary>
/// Wall time of each stage of the CPU forward pass, summed while <see cref="Active"/> is set (<c>bench --profile</c>):
/// where a decode step's time goes besides reading weights. Off, the forward pays one null check per stage.
/// </summary>
public sealed class ForwardProfile
{
    public enum Stage { Embed, Norm, Qkv, QkNormRope, Attention, OProj, GateUp, SwiGlu, Down, Residual, LmHead }

    private static readonly int StageCount = Enum.GetValues<Stage>().Length;
    private readonly List<long[]> passes = [];   // ticks of each stage, per pass (the list grows while recording; bench only)
    private long[] ticks = new long[StageCount];
    private long last;

    /// <summary>The profile the forward pass records into; null (the default) records nothing.</summary>
    public static ForwardProfile? Active { get; set; }

    /// <summary>Forward passes recorded.</summary>
    public int Passes => passes.Count;

    internal void Begin()
    {
        passes.Add(ticks = new long[StageCount]);
        last = Stopwatch.GetTimestamp();
    }

    /// <summary>Charges the time since the previous mark to <paramref name="stage"/>.</summary>
    internal void Mark(Stage stage)
    {
        long now = Stopwatch.GetTimestamp();
        ticks[(int)stage] += now - last;
        last = now;
    }

    /// <summary>
    /// Milliseconds of each stage per pass: the median over the passes, so that a pass in which another process took
    /// the core does not count (on a shared machine that is most of the spread).
    /// </summary>
    public IEnumerable<(Stage Stage, double Ms)> PerPass() =>
        Enum.GetValues<Stage>().Select(s => (s, Passes == 0 ? 0 : Median(passes.Select(p => p[(int)s])) * 1e3 / Stopwatch.Frequency));

    private static double Median(IEnumerable<long> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2.0;
    }
}
