using SteerServer.Steering.Profiling;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Tests.Profiling;

public class HeadMeasurerTests
{
    // Token ids of stories260K (vocab 512); the exact text does not matter for exactness checks.
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 302, 389, 322, 475, 294, 338, 284, 436, 275, 353, 259, 290, 311, 264, 301];
    private static readonly int[] Target = [326, 261, 402, 300];

    private static List<ProfileExample> Examples() =>
    [
        new("a", "t:1", Prompt, Target, [new TokenRange(6, 9)]),
        new("a", "t:2", Prompt[..14], Target[..1], [new TokenRange(3, 5), new TokenRange(9, 11)]),
        new("b", "t:3", Prompt[..17], Target[1..], [new TokenRange(1, 2)]),
    ];

    [Theory]
    [InlineData(ScalePosition.Exclude)]
    [InlineData(ScalePosition.Include)]
    [InlineData(ScalePosition.Generation)]
    public void ReusedPrefixGivesTheSameScoresAsAFullPass(ScalePosition mode)
    {
        var model = ProfilingModels.Stories260K;
        var measurer = new HeadMeasurer(model.Backend, Examples(), mode, 0.01);
        bool anyChange = false;
        foreach (var (layer, head) in new[] { (0, 0), (1, 5), (2, 3), (4, 7) })
        {
            var reused = measurer.MeasureHead(layer, head);
            var full = measurer.MeasureFromScratch(new Dictionary<int, int[]> { [layer] = [head] });
            for (int i = 0; i < reused.Length; i++)
            {
                Assert.Equal(full[i].LogProb, reused[i].LogProb, 1e-4); // float rounding only (see HeadMeasurer)
                Assert.Equal(full[i].Correct, reused[i].Correct);
                anyChange |= Math.Abs(reused[i].LogProb - measurer.Baseline[i].LogProb) > 1e-4;
            }
            // After a from-scratch pass the cached prefix must still be the unsteered one.
            var again = measurer.MeasureHead(layer, head);
            for (int i = 0; i < reused.Length; i++) Assert.Equal(reused[i].LogProb, again[i].LogProb, 1e-9);
        }
        Assert.True(anyChange, "steering a head should move some target log-likelihood");
    }

    [Fact]
    public void SharedCacheModeMeasuresTheSame()
    {
        var backend = ProfilingModels.Stories260K.Backend;
        var kept = new HeadMeasurer(backend, Examples(), ScalePosition.Exclude, 0.01);
        var shared = new HeadMeasurer(backend, Examples(), ScalePosition.Exclude, 0.01, cacheBudgetBytes: 0);
        Assert.True(kept.KeepsCaches);
        Assert.False(shared.KeepsCaches);
        (int, int)[] heads = [(1, 0), (1, 4), (3, 6)];
        var a = heads.Select(x => kept.MeasureHead(x.Item1, x.Item2)).ToArray();
        var b = shared.MeasureHeads(heads);
        for (int k = 0; k < heads.Length; k++)
            for (int i = 0; i < a[k].Length; i++)
            {
                Assert.Equal(a[k][i].LogProb, b[k][i].LogProb, 1e-4);
                Assert.Equal(a[k][i].Correct, b[k][i].Correct);
            }
        for (int i = 0; i < kept.Baseline.Length; i++) Assert.Equal(kept.Baseline[i].LogProb, shared.Baseline[i].LogProb, 1e-9);
    }

    [Fact]
    public void NoHeadsIsTheBaselineAndAlphaOneChangesNothing()
    {
        var model = ProfilingModels.Stories260K;
        var measurer = new HeadMeasurer(model.Backend, Examples(), ScalePosition.Exclude, 0.01);
        var none = measurer.MeasureFromScratch(new Dictionary<int, int[]>());
        for (int i = 0; i < none.Length; i++) Assert.Equal(measurer.Baseline[i].LogProb, none[i].LogProb, 1e-9);
        Assert.All(measurer.Baseline, b => Assert.True(double.IsFinite(b.LogProb) && b.LogProb < 0));

        var neutral = new HeadMeasurer(model.Backend, Examples(), ScalePosition.Exclude, 1.0);
        Assert.Equal(0, neutral.RowsPerHead(0));
        var head = neutral.MeasureHead(2, 2);
        for (int i = 0; i < head.Length; i++) Assert.Equal(neutral.Baseline[i], head[i]);
    }

    [Fact]
    public void ReusablePrefixIsTheFirstRowThatSeesDifferentOffsets()
    {
        Assert.Equal(3, HeadMeasurer.ReusablePrefix([-4.6f, -4.6f, -4.6f, 0, 0, -4.6f]));
        Assert.Equal(1, HeadMeasurer.ReusablePrefix([0, -4.6f, -4.6f]));
        // generation: constant, non-zero: only the last prompt row is re-run (for the first target token's logits)
        Assert.Equal(2, HeadMeasurer.ReusablePrefix([-4.6f, -4.6f, -4.6f]));
        Assert.Null(HeadMeasurer.ReusablePrefix([0f, 0f, 0f]));
    }
}
