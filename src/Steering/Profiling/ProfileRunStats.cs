namespace SteerServer.Steering.Profiling;

/// <summary>What one <see cref="HeadProfiler.Run"/> did.</summary>
/// <param name="TotalHeads">layers × heads</param>
/// <param name="Resumed">heads found in the score file and skipped</param>
/// <param name="Measured">heads measured by this run</param>
/// <param name="Elapsed">time spent measuring</param>
/// <param name="HeadExamples">(head, example) passes run (examples α cannot affect are not run)</param>
/// <param name="Rows">token rows fed to the model by those passes</param>
/// <param name="CpuTime">process CPU time (all threads) over the same span: a load-independent cost figure on a shared machine</param>
public sealed record ProfileRunStats(int TotalHeads, int Resumed, int Measured, TimeSpan Elapsed, long HeadExamples, long Rows, TimeSpan CpuTime)
{
    /// <summary>True when every head has a score (nothing left for a resumed run).</summary>
    public bool Complete => Resumed + Measured == TotalHeads;
}
