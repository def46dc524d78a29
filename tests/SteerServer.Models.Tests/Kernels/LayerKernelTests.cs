using System.Runtime.Intrinsics;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Tests.Kernels;

/// <summary>RmsNorm, Rope (every width), SwiGlu and Attention against double-precision scalar references.</summary>
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

    public static TheoryData<KernelVariant, int, int, int, int> AttentionCases()
    {
        var data = new TheoryData<KernelVariant, int, int, int, int>();
        foreach (var v in KernelDispatch.Available)
        {
            data.Add(v, 8, 1, 0, 0);      // one key
            data.Add(v, 8, 13, 0, 0);     // causal prefix
            data.Add(v, 12, 9, 0, 4);     // head_dim not a multiple of any width: reference path
            data.Add(v, 16, 20, 14, 0);   // sliding window: keys 14..19
            data.Add(v, 64, 30, 0, 12);   // offsets on the first 12 (prompt) columns only
            data.Add(v, 32, 30, 5, 40);   // window + offsets longer than the visible range
            data.Add(v, 128, 70, 0, 70);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void Attention_EveryWidth_MatchesReference(KernelVariant variant, int headDim, int keyEnd, int keyStart, int promptLength)
    {
        var rng = new Random(headDim * 100 + keyEnd);
        int capacity = keyEnd + 3;
        var q = RandomArray(rng, headDim);
        var keys = RandomArray(rng, capacity * headDim);
        var values = RandomArray(rng, capacity * headDim);
        var offsets = RandomArray(rng, promptLength, 3);
        float scale = 1f / MathF.Sqrt(headDim);
        var scores = new float[keyEnd + 1];
        var output = new float[headDim];
        Attention.Forward(q, keys, values, headDim, keyStart, keyEnd, scale, offsets, scores, output, variant);

        var logits = new double[keyEnd];
        for (int j = keyStart; j < keyEnd; j++)
        {
            double dot = 0;
            for (int d = 0; d < headDim; d++) dot += (double)q[d] * keys[j * headDim + d];
            logits[j] = dot * scale + (j < promptLength ? offsets[j] : 0);
        }
        double max = Enumerable.Range(keyStart, keyEnd - keyStart).Max(j => logits[j]);
        double sum = Enumerable.Range(keyStart, keyEnd - keyStart).Sum(j => Math.Exp(logits[j] - max));
        for (int d = 0; d < headDim; d++)
        {
            double o = 0;
            for (int j = keyStart; j < keyEnd; j++) o += Math.Exp(logits[j] - max) / sum * values[j * headDim + d];
            Assert.Equal(o, output[d], 1e-6);
        }
        for (int j = keyStart; j < keyEnd; j++)
            Assert.Equal(Math.Exp(logits[j] - max) / sum, scores[j - keyStart], 1e-6);
    }
}
