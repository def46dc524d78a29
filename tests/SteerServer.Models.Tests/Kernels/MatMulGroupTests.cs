using SteerServer.Models.Kernels;

namespace SteerServer.Models.Tests.Kernels;

/// <summary>Weights that share an input computed in one pass (q/k/v, gate/up) give exactly what separate products give.</summary>
public class MatMulGroupTests
{
    [Theory]
    [MemberData(nameof(MatMulTests.AllCases), MemberType = typeof(MatMulTests))]
    public void Group_EqualsSeparateProducts_BitForBit(DType dtype, KernelVariant variant)
    {
        var rng = new Random(7);
        using var pool = new KernelThreadPool(2);
        const int cols = 96;
        int[] rows = [80, 33, 17]; // not multiples of 16: partial last panels in every part
        var weights = rows.Select(r => WeightPacker.Pack(WeightMatrix.FromArray(Random(rng, r * cols), r, cols), dtype)).ToArray();
        foreach (int n in new[] { 1, 3, 8, 13 })
        {
            var x = Random(rng, n * cols);
            var separate = weights.Select(w => { var y = new float[n * w.Rows]; w.MatMul(x, y, n, pool, variant); return y; }).ToArray();
            var grouped = weights.Select(w => new float[n * w.Rows]).ToArray();
            WeightMatrix.MatMul(x, n, pool, weights[0], grouped[0], weights[1], grouped[1], weights[2], grouped[2], variant);
            for (int k = 0; k < weights.Length; k++) Assert.Equal(separate[k], grouped[k]);

            var pair = weights.Take(2).Select(w => new float[n * w.Rows]).ToArray();
            WeightMatrix.MatMul(x, n, pool, weights[0], pair[0], weights[1], pair[1], null, default, variant);
            Assert.Equal(separate[0], pair[0]);
            Assert.Equal(separate[1], pair[1]);
        }
    }

    [Fact]
    public void Group_OfDifferentColumnCounts_IsRefused()
    {
        var a = WeightMatrix.FromArray(new float[16 * 8], 16, 8);
        var b = WeightMatrix.FromArray(new float[16 * 4], 16, 4);
        var ex = Assert.Throws<ArgumentException>(() =>
            WeightMatrix.MatMul(new float[8], 1, KernelThreadPool.Default, a, new float[16], b, new float[16], null, default));
        Assert.Contains("columns", ex.Message);
    }

    private static float[] Random(Random rng, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return values;
    }
}
