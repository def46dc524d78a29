namespace SteerServer.Steering.Profiling;

/// <summary>Every head of the model for one task, best first.</summary>
/// <param name="Examples">number of examples of the task</param>
/// <param name="BaselineLogProb">mean target log-likelihood without steering</param>
/// <param name="BaselineAccuracy">greedy exact-match rate without steering</param>
public sealed record TaskRanking(string Task, int Examples, double BaselineLogProb, double BaselineAccuracy, IReadOnlyList<HeadScore> Heads)
{
    public IEnumerable<HeadScore> Top(int k) => Heads.Take(k);
}
