using System.Runtime.Intrinsics;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Tests.Kernels;

/// <summary>RmsNorm, Rope (every width) and SwiGlu against double-precision scalar references (Attention: AttentionTests).</summary>
public class LayerKernelTests
{
    private static float[] RandomArray(Random rng, int n, float scale = 1f) =>
        Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(576)]
    public void RmsNorm_MatchesReference(int n)
    {
        var rng = new Random(n);
        var x = RandomArray(rng, n, 3);
        var w = RandomArray(rng, n);
        var y = new float[n + 1];
        y[n] = 42; // sentinel
        RmsNorm.Forward(x, w, 1e-5f, y.AsSpan(0, n));
        double ms = x.Sum(v => (double)v * v) / n;
        for (int i = 0; i < n; i++) Assert.Equal(x[i] / Math.Sqrt(ms + 1e-5) * w[i], y[i], 1e-5);
        Assert.Equal(42, y[n]);
    }

    public static TheoryData<string, int> RopeCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var v in new[] { "v512", "v256", "scalar" })
            foreach (var half in new[] { 1, 4, 7, 8, 9, 16, 17, 32, 33, 64 })
                data.Add(v, half);
        return data;
    }

    [Theory]
    [MemberData(nameof(RopeCases))]
    public void Rope_EveryWidth_MatchesRotateHalfReference(string variant, int half)
    {
        if (variant == "v512" && !Vector512.IsHardwareAccelerated) return; // this machine cannot run it; the others still run
        if (variant == "v256" && !Vector256.IsHardwareAccelerated) return;
        var rng = new Random(half);
        int headDim = 2 * half, pos = 37;
        var invFreq = Rope.InverseFrequencies(headDim, 10000, null);
        var cos = new float[half];
        var sin = new float[half];
        Rope.Angles(pos, invFreq, cos, sin);
        var x = RandomArray(rng, headDim);
        var y = (float[])x.Clone();
        switch (variant)
        {
            case "v512": Rope.Rotate512(y, half, cos, sin); break;
            case "v256": Rope.Rotate256(y, half, cos, sin); break;
            default: Rope.RotateScalar(y, half, cos, sin, 0); break;
        }
        for (int p = 0; p < half; p++)
        {
            double angle = pos * Math.Pow(10000, -2.0 * p / headDim);
            double a = x[p], b = x[p + half];
            Assert.Equal(a * Math.Cos(angle) - b * Math.Sin(angle), y[p], 1e-5);
            Assert.Equal(b * Math.Cos(angle) + a * Math.Sin(angle), y[p + half], 1e-5);
        }
    }

    [Fact]
    public void Rope_Llama3Scaling_BlendsAndDivides()
    {
        var scaling = new SteerServer.Models.Checkpoints.RopeScaling("llama3", 8, 1, 4, 8192);
        var scaled = Rope.InverseFrequencies(128, 500000, scaling);
        var plain = Rope.InverseFrequencies(128, 500000, null);
        Assert.Equal(plain[0], scaled[0]);                  // high frequency: kept
        Assert.Equal(plain[63] / 8, scaled[63], plain[63] * 1e-6);         // low frequency: divided by factor
        int blended = Enumerable.Range(0, 64).First(i => scaled[i] != plain[i] && Math.Abs(scaled[i] - plain[i] / 8) > 1e-12);
        Assert.InRange(scaled[blended], plain[blended] / 8, plain[blended]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(33)]
    public void SwiGlu_MatchesReference(int n)
    {
        var rng = new Random(n);
        var g = RandomArray(rng, n, 6);
        var u = RandomArray(rng, n, 2);
        var gate = (float[])g.Clone();
        SwiGlu.Forward(gate, (float[])u.Clone());
        for (int i = 0; i < n; i++) Assert.Equal(g[i] / (1 + Math.Exp(-g[i])) * u[i], gate[i], 1e-5);
    }

    [Fact]
    public void SwiGlu_ValueDoesNotDependOnItsPositionOrTheThreads()
    {
        // A batch of n sequences runs SwiGLU over n × intermediate values: a value's bits must not depend on n.
        var rng = new Random(5);
        var g = RandomArray(rng, 172, 12);
        var u = RandomArray(rng, 172, 2);
        var alone = (float[])g.Clone();
        SwiGlu.Forward(alone, u);
        using var pool = new KernelThreadPool(2);
        for (int offset = 1; offset < 40; offset += 3)
        {
            var gate = new float[offset + 172 + 5000];
            var up = new float[gate.Length];
            g.CopyTo(gate, offset);
            u.CopyTo(up, offset);
            SwiGlu.Forward(gate, up, pool);
            Assert.Equal(alone, gate.AsSpan(offset, 172).ToArray());
        }
    }

    [Fact]
    public void VectorExp_IsWithinTwoUlpsOfMathExp()
    {
        for (float x = -87f; x <= 88f; x += 0.0137f)
        {
            double expected = Math.Exp(x);
            Assert.True(Math.Abs(VectorMath.Exp(Vector512.Create(x)).GetElement(3) - expected) <= 2.5e-7 * expected, $"exp({x})");
            Assert.True(Math.Abs(VectorMath.Exp(Vector256.Create(x)).GetElement(5) - expected) <= 2.5e-7 * expected, $"exp({x})");
        }
        Assert.Equal(0f, VectorMath.Exp(Vector512.Create(-1000f)).GetElement(0), 1e-37f);
        Assert.True(float.IsFinite(VectorMath.Exp(Vector512.Create(1000f)).GetElement(0)));
    }
}
