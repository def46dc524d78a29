namespace SteerServer.Steering.Profiling;

/// <summary>What <see cref="ProfileRunner.Run"/> did: the run's statistics and, once every head has a score, the result.</summary>
/// <param name="Result">null when the run stopped before every head was measured (resume by running again)</param>
public sealed record ProfileOutcome(ProfileRunStats Stats, ProfileResult? Result, string SidecarPath, int Examples)
{
    /// <summary>Wall time per (head, example) pass measured by this run; null when none ran.</summary>
    public TimeSpan? TimePerHeadExample => Stats.HeadExamples > 0 ? Stats.Elapsed / Stats.HeadExamples : null;
}
