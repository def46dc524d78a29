using SteerServer.Steering.Influence;

namespace SteerServer.Steering.Tests;

/// <summary>The recurrence on a hand-computed 3-token, 2-layer example (the golden comparison needs the engine).</summary>
public class InfluenceCalculatorTests
{
    // Causal attention rows: row 0 = [1,0,0], row 1 = [.5,.5,0], row 2 = [.2,.3,.5]
    private static readonly float[] A = [1, 0, 0, 0.5f, 0.5f, 0, 0.2f, 0.3f, 0.5f];

    [Fact]
    public void Rollout_HalfIdentityPlusAttention()
    {
        var r = InfluenceCalculator.Compute(InfluenceMetric.AttentionRollout, [0, 1, 0], [A, A], [], []);
        Assert.Equal([0f, 1f, 0f], r[0]);
        Assert.Equal([0f, 0.75f, 0.15f], r[1]);
        // layer 1: a = A·[0,.75,.15] = [0, .375, .225+.075=.3]; (I + a)/2
        Assert.Equal(0f, r[2][0]);
        Assert.Equal(0.5625f, r[2][1], 6);
        Assert.Equal(0.225f, r[2][2], 6);
    }

    [Fact]
    public void Influence_UsesPreviousLayersInputNorm()
    {
        float[] x0 = [1, 1, 1], x1 = [3, 3, 3], o0 = [1, 1, 1], o1 = [1, 1, 1];
        var r = InfluenceCalculator.Compute(InfluenceMetric.Influence, [0, 1, 0], [A, A], [x0, x1], [o0, o1]);
        // layer 0: ν = |X_0| = 1, μ = 1: I = (I + a)/2, same as rollout
        Assert.Equal([0f, 0.75f, 0.15f], r[1]);
        // layer 1: ν = |X_0| again (off-by-one), so still (I + a)/2; with |X_1| = 3 it would be (3I + a)/4
        Assert.Equal(0.5625f, r[2][1], 6);
        var shifted = InfluenceCalculator.Compute(InfluenceMetric.Influence, [0, 1, 0], [A, A, A], [x0, x1, x0], [o0, o1, o1]);
        // layer 2 uses ν = |X_1| = 3: I_2[1] = (3·0.5625 + a[1]) / 4 with a[1] = .5·0 + .5·.5625
        Assert.Equal((3 * 0.5625 + 0.28125) / 4, shifted[3][1], 6);
    }
}
