using SteerServer.Models.Kernels;

namespace SteerServer.Models.Tests.Kernels;

/// <summary>
/// Every dtype × every kernel width this machine runs (Vector512, Vector256, scalar), against a double-precision
/// reference computed from the f32 value of each stored weight; shapes from 0 past several vector widths.
/// </summary>
public class MatMulTests
{
    private static readonly int[] ColCounts = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 129, 576];
    private static readonly int[] RowCounts = [1, 3, 4, 5, 9, 17];
    private static readonly int[] InputCounts = [1, 2, 3, 4, 5, 9, 12, 16, 21, 25]; // ≥ 12: the 12-input prefill tiles

    public static TheoryData<DType, KernelVariant> FloatCases()
    {
        var data = new TheoryData<DType, KernelVariant>();
        foreach (var dtype in new[] { DType.F32, DType.BF16, DType.F16 })
            foreach (var v in KernelDispatch.Available) data.Add(dtype, v);
        return data;
    }

    public static TheoryData<KernelVariant> Variants()
    {
        var data = new TheoryData<KernelVariant>();
        foreach (var v in KernelDispatch.Available) data.Add(v);
        return data;
    }

    [Theory]
    [MemberData(nameof(FloatCases))]
    public void MatMul_FloatDTypes_MatchDoubleReference(DType dtype, KernelVariant variant)
    {
        var rng = new Random(1234);
        using var pool = new KernelThreadPool(2);
        foreach (int cols in ColCounts)
            foreach (int rows in RowCounts)
                foreach (int n in InputCounts)
                {
                    var w = WeightPacker.Pack(WeightMatrix.FromArray(RandomArray(rng, rows * cols, 1f), rows, cols), dtype);
                    var x = RandomArray(rng, n * cols, 1f);
                    var y = RunPadded(w, x, n, pool, variant);
                    var wf = Dequantize(w);
                    for (int i = 0; i < n; i++)
                        for (int r = 0; r < rows; r++)
                        {
                            double s = 0, mag = 0;
                            for (int c = 0; c < cols; c++)
                            {
                                double p = (double)wf[r * cols + c] * x[i * cols + c];
                                s += p; mag += Math.Abs(p);
                            }
                            Assert.True(Math.Abs(y[i * rows + r] - s) <= 1e-5 * mag + 1e-7,
                                $"{dtype} {variant} rows={rows} cols={cols} n={n} y[{i},{r}]={y[i * rows + r]} ref={s}");
                        }
                }
    }

    [Theory]
    [MemberData(nameof(FloatCases))]
    public void MatMul_SpecialWeightValues_PropagateLikeReference(DType dtype, KernelVariant variant)
    {
        // ±∞, NaN, -0 and (for f16) subnormal weights go through the in-register conversion like the scalar one.
        var rng = new Random(7);
        int rows = 8, cols = 67, n = 2;
        var values = RandomArray(rng, rows * cols, 1f);
        values[3] = float.PositiveInfinity;            // row 0
        values[cols + 5] = float.NaN;                  // row 1
        values[2 * cols + 66] = float.NegativeInfinity; // row 2, in the tail
        values[3 * cols + 1] = -0f;
        for (int c = 0; c < cols; c++) values[4 * cols + c] = 3e-6f * (c - 30); // f16 subnormals
        var w = WeightPacker.Pack(WeightMatrix.FromArray(values, rows, cols), dtype);
        var x = RandomArray(rng, n * cols, 1f);
        var y = RunPadded(w, x, n, new KernelThreadPool(1), variant);
        var wf = Dequantize(w);
        for (int i = 0; i < n; i++)
            for (int r = 0; r < rows; r++)
            {
                double s = 0, mag = 0;
                for (int c = 0; c < cols; c++) { double p = (double)wf[r * cols + c] * x[i * cols + c]; s += p; mag += Math.Abs(p); }
                float got = y[i * rows + r];
                if (double.IsNaN(s) || double.IsInfinity(s)) Assert.Equal((float)s, got);
                else Assert.True(Math.Abs(got - s) <= 1e-5 * mag + 1e-7, $"{dtype} {variant} y[{i},{r}]={got} ref={s}");
            }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void MatMul_Q8_0_MatchesF32WithinQuantisationBound(KernelVariant variant)
    {
        var rng = new Random(99);
        using var pool = new KernelThreadPool(2);
        foreach (int cols in new[] { 32, 64, 96, 288, 576 })
            foreach (int rows in RowCounts)
                foreach (int n in InputCounts)
                {
                    var wf = RandomArray(rng, rows * cols, 0.02f);
                    var w = WeightPacker.Pack(WeightMatrix.FromArray(wf, rows, cols), DType.Q8_0);
                    var x = RandomArray(rng, n * cols, 1f);
                    var y = RunPadded(w, x, n, pool, variant);
                    for (int i = 0; i < n; i++)
                        for (int r = 0; r < rows; r++)
                        {
                            // |w - ŵ| ≤ dw/2 and |x - x̂| ≤ dx/2 per block: bound the product error by that.
                            double s = 0, bound = 0;
                            for (int b = 0; b < cols / 32; b++)
                            {
                                double dw = 0, dx = 0;
                                for (int j = 0; j < 32; j++)
                                {
                                    dw = Math.Max(dw, Math.Abs(wf[r * cols + b * 32 + j]) / 127);
                                    dx = Math.Max(dx, Math.Abs(x[i * cols + b * 32 + j]) / 127);
                                }
                                for (int j = 0; j < 32; j++)
                                {
                                    double a = wf[r * cols + b * 32 + j], c = x[i * cols + b * 32 + j];
                                    s += a * c;
                                    bound += Math.Abs(a) * dx / 2 + Math.Abs(c) * dw / 2 + dw * dx / 4;
                                }
                            }
                            Assert.True(Math.Abs(y[i * rows + r] - s) <= bound * 1.01 + 1e-6,
                                $"{variant} rows={rows} cols={cols} n={n} y[{i},{r}]={y[i * rows + r]} ref={s} bound={bound}");
                        }
                }
    }

    [Theory]
    [MemberData(nameof(FloatCases))]
    public void MatMul_FloatDTypes_VectorMatchesScalarBitForBit(DType dtype, KernelVariant variant)
    {
        // One FMA chain per (row, input) in column order, whether a panel is computed alone, four side by side
        // (decode) or against a tile of inputs (prefill): every width gives the scalar path's bits.
        var rng = new Random(6);
        using var pool = new KernelThreadPool(2);
        foreach (int cols in new[] { 1, 2, 33, 96, 131 })
        foreach (int n in new[] { 1, 2, 3, 4, 5, 9, 13, 21 })
        {
            int rows = 16 * 9 + 5; // two groups of four panels, a lone full one and a padded one
            var w = WeightPacker.Pack(WeightMatrix.FromArray(RandomArray(rng, rows * cols, 1f), rows, cols), dtype);
            var x = RandomArray(rng, n * cols, 1f);
            var y = RunPadded(w, x, n, pool, variant);
            var yScalar = RunPadded(w, x, n, pool, KernelVariant.Scalar);
            for (int k = 0; k < y.Length; k++)
                Assert.True(y[k].Equals(yScalar[k]), $"{dtype} {variant} cols={cols} n={n} y[{k}]={y[k]} scalar={yScalar[k]}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void MatMul_Q8_0_VectorMatchesScalarInt8Reference(KernelVariant variant)
    {
        var rng = new Random(5);
        using var pool = new KernelThreadPool(1);
        foreach (int cols in new[] { 32, 64, 96, 160, 576 })
        foreach (int n in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 23 }) // every tile size, alone and after a 12-input tile
        {
            int rows = 21; // a full and a padded panel
            var w = WeightPacker.Pack(WeightMatrix.FromArray(RandomArray(rng, rows * cols, 1f), rows, cols), DType.Q8_0);
            var x = RandomArray(rng, n * cols, 1f);
            var y = RunPadded(w, x, n, pool, variant);
            var yScalar = RunPadded(w, x, n, pool, KernelVariant.Scalar);
            // Exact int32 block sums and one FMA chain per (row, input) in every width: the same bits.
            for (int k = 0; k < y.Length; k++)
                Assert.True(y[k] == yScalar[k], $"{variant} cols={cols} n={n} y[{k}]={y[k]} scalar={yScalar[k]}");
        }
    }

    public static TheoryData<DType, KernelVariant> AllCases()
    {
        var data = new TheoryData<DType, KernelVariant>();
        foreach (var dtype in new[] { DType.F32, DType.BF16, DType.F16, DType.Q8_0, DType.Q4 })
            foreach (var v in KernelDispatch.Available) data.Add(dtype, v);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void MatMul_BatchAndThreads_DoNotChangeAnyBit(DType dtype, KernelVariant variant)
    {
        // A sequence decoded inside a batch must give exactly what it gives alone, on any thread count,
        // and a prompt row of a prefill exactly what the same row gives in a decode step.
        var rng = new Random(11);
        int rows = 203, cols = 96 + 32 + 3, n = 21; // n ≥ 16 takes the prefill tiles (q8_0: 12 + 8 + 1), n = 1 the decode path
        if (dtype == DType.Q8_0) cols = 128;
        if (dtype == DType.Q4) cols = 256 + 96; // a full super-block and a short one of 3 sub-blocks
        var w = WeightPacker.Pack(WeightMatrix.FromArray(RandomArray(rng, rows * cols, 0.05f), rows, cols), dtype);
        var x = RandomArray(rng, n * cols, 1f);
        using var pool2 = new KernelThreadPool(2);
        using var pool1 = new KernelThreadPool(1);
        var batched = RunPadded(w, x, n, pool2, variant);
        var batched3 = RunPadded(w, x.AsSpan(0, 3 * cols).ToArray(), 3, pool2, variant);
        for (int k = 0; k < 3 * rows; k++) Assert.Equal(batched[k], batched3[k]);
        for (int i = 0; i < n; i++)
        {
            var alone = RunPadded(w, x.AsSpan(i * cols, cols).ToArray(), 1, pool1, variant);
            for (int r = 0; r < rows; r++) Assert.Equal(alone[r], batched[i * rows + r]);
        }
    }

    [Fact]
    public void MatMul_DefaultPool_AllocatesNothing()
    {
        var rng = new Random(3);
        int rows = 512, cols = 256;
        foreach (var dtype in new[] { DType.F32, DType.BF16, DType.Q8_0, DType.Q4 })
        {
            var w = WeightPacker.Pack(WeightMatrix.FromArray(RandomArray(rng, rows * cols, 0.05f), rows, cols), dtype);
            var x = RandomArray(rng, 4 * cols, 1f);
            var y = new float[4 * rows];
            using var pool = new KernelThreadPool(2);
            w.MatMul(x, y, 4, pool); // warm up (JIT, scratch)
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < 20; k++) w.MatMul(x, y, 4, pool);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void Quantize_Q8_0_RoundTripsWithinHalfAStep()
    {
        var rng = new Random(8);
        var x = RandomArray(rng, 32 * 9, 2f);
        x[5] = 0; for (int j = 32; j < 64; j++) x[j] = 0; // an all-zero block
        var q = new sbyte[x.Length];
        var d = new float[x.Length / 32];
        Quantize.RowQ8_0(x, q, d);
        for (int k = 0; k < x.Length; k++)
        {
            Assert.InRange(q[k], -127, 127);
            Assert.True(Math.Abs(q[k] * d[k / 32] - x[k]) <= d[k / 32] / 2 * 1.0001 + 1e-12, $"x[{k}]={x[k]} q={q[k]} d={d[k / 32]}");
        }
        Assert.Equal(0f, d[1]);
    }

    [Fact]
    public void Quantize_Q8_0Weights_RowsRoundTripWithinHalfAStep()
    {
        // Packed q8_0 weights store each block's step rounded up to bf16 (at most 2^-8 above max|w| / 127) and are
        // quantised with that stored step: every weight comes back within half of it, in every row of every panel.
        var rng = new Random(21);
        int rows = 37, cols = 96; // two full panels and a padded one
        var wf = RandomArray(rng, rows * cols, 0.05f);
        for (int c = 0; c < cols; c++) wf[5 * cols + c] = 0;                  // an all-zero row
        for (int c = 0; c < 32; c++) wf[17 * cols + c] = 1e-30f * (c - 16);   // a block of tiny values
        wf[36 * cols + 40] = 3f;                                               // one large weight in the last panel
        var w = WeightPacker.Pack(WeightMatrix.FromArray(wf, rows, cols), DType.Q8_0);
        var back = Dequantize(w);
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < cols / 32; b++)
            {
                double amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(wf[r * cols + b * 32 + j]));
                double halfStep = amax / 127 * (1 + 1.0 / 256) / 2;
                for (int j = 0; j < 32; j++)
                {
                    int k = r * cols + b * 32 + j;
                    Assert.True(Math.Abs(back[k] - wf[k]) <= halfStep * 1.0001 + 1e-45, $"w[{r},{b * 32 + j}]={wf[k]} back={back[k]} half step={halfStep}");
                }
            }
        Assert.All(back.AsSpan(5 * cols, cols).ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void MatMul_Q4_VectorMatchesScalarIntegerReference(KernelVariant variant)
    {
        var rng = new Random(6);
        using var pool = new KernelThreadPool(1);
        foreach (int cols in new[] { 32, 64, 96, 256, 288, 544, 896 }) // one short super-block, full ones, full + short (odd and even sub-block counts)
        foreach (int n in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 17 }) // every tile size, alone and after an 8-input tile
        {
            int rows = 21; // a full and a padded panel
            var w = WeightPacker.Pack(WeightMatrix.FromArray(RandomArray(rng, rows * cols, 1f), rows, cols), DType.Q4);
            var x = RandomArray(rng, n * cols, 1f);
            var y = RunPadded(w, x, n, pool, variant);
            var yScalar = RunPadded(w, x, n, pool, KernelVariant.Scalar);
            // Exact integer sums and the same two FMAs per super-block in every width and tile: the same bits.
            for (int k = 0; k < y.Length; k++)
                Assert.True(y[k] == yScalar[k], $"{variant} cols={cols} n={n} y[{k}]={y[k]} scalar={yScalar[k]}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void MatMul_Q4_MatchesItsDequantisedWeightsWithinActivationBound(KernelVariant variant)
    {
        // The weights' own error is Quantize_Q4's business; here: y equals ŵ · x up to the int8 rounding of x
        // (|x − x̂| ≤ dx / 2, one dx per 256 values).
        var rng = new Random(98);
        using var pool = new KernelThreadPool(2);
        foreach (int cols in new[] { 32, 96, 256, 352, 576 })
            foreach (int rows in RowCounts)
                foreach (int n in InputCounts)
                {
                    var w = WeightPacker.Pack(WeightMatrix.FromArray(RandomArray(rng, rows * cols, 0.02f), rows, cols), DType.Q4);
                    var wq = Dequantize(w);
                    var x = RandomArray(rng, n * cols, 1f);
                    var y = RunPadded(w, x, n, pool, variant);
                    for (int i = 0; i < n; i++)
                        for (int r = 0; r < rows; r++)
                        {
                            double s = 0, bound = 0;
                            for (int b = 0; b < cols; b += 256)
                            {
                                double dx = 0;
                                for (int j = b; j < Math.Min(cols, b + 256); j++) dx = Math.Max(dx, Math.Abs(x[i * cols + j]) / 127);
                                for (int j = b; j < Math.Min(cols, b + 256); j++)
                                {
                                    s += (double)wq[r * cols + j] * x[i * cols + j];
                                    bound += Math.Abs(wq[r * cols + j]) * dx / 2;
                                }
                            }
                            Assert.True(Math.Abs(y[i * rows + r] - s) <= bound * 1.01 + 1e-5,
                                $"{variant} rows={rows} cols={cols} n={n} y[{i},{r}]={y[i * rows + r]} ref={s} bound={bound}");
                        }
                }
    }

    [Fact]
    public unsafe void Quantize_Q4_SixteenLaneFitGivesTheScalarFitsBits()
    {
        // Packing fits 16 rows' sub-blocks at once when Vector512 is accelerated; every lane must choose exactly the
        // scale and min the scalar fit chooses, or a model would pack differently on another machine.
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return; // the scalar fit is then the one used
        var rng = new Random(31);
        var xt = new float[32 * 16];
        var scale = new float[16];
        var min = new float[16];
        var row = new float[32];
        for (int trial = 0; trial < 400; trial++)
        {
            for (int j = 0; j < 16; j++)
            {
                int kind = (trial + j) % 7;
                for (int k = 0; k < 32; k++)
                {
                    double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                    xt[k * 16 + j] = kind switch
                    {
                        0 => 0f,                                        // all zero
                        1 => 0.01f,                                     // constant
                        2 => (float)(-Math.Abs(g) * 0.03),              // all negative
                        3 => k % 5 == 0 ? -0f : (float)(g * 0.02),      // negative zeros among values
                        4 => (float)(g * 0.02) + (k == 7 ? 1.5f : 0f),  // one outlier
                        5 => (float)Math.Round(g * 4) / 64,             // few distinct values
                        _ => (float)(g * 0.05),
                    };
                }
            }
            fixed (float* px = xt, ps = scale, pm = min) MatMulQ4.FitSubBlocks16(px, ps, pm);
            for (int j = 0; j < 16; j++)
            {
                for (int k = 0; k < 32; k++) row[k] = xt[k * 16 + j];
                float s, m;
                fixed (float* pr = row) MatMulQ4.FitSubBlock(pr, out s, out m);
                Assert.True(s == scale[j] && m == min[j], $"trial {trial} lane {j}: scalar ({s}, {m}), 16 lanes ({scale[j]}, {min[j]})");
            }
        }
    }

    [Fact]
    public void Quantize_Q4_RoundTripsCloserThanTheRangeStep()
    {
        // Per 32 values, 16 levels over the range give an RMS error of step / √12 (step = range / 15); the fitted
        // scale and min (and the mins below zero) must do at least that well overall, and no value may be off by
        // more than a step. Columns 352: a full super-block and a short one.
        var rng = new Random(22);
        int rows = 37, cols = 352;
        var wf = new float[rows * cols];
        for (int k = 0; k < wf.Length; k++) wf[k] = (float)(0.05 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        for (int c = 0; c < cols; c++) wf[5 * cols + c] = 0;               // an all-zero row
        for (int c = 0; c < 32; c++) wf[17 * cols + c] = 0.01f;            // a constant block
        wf[36 * cols + 40] = 3f;                                            // one large weight in the last panel
        var w = WeightPacker.Pack(WeightMatrix.FromArray(wf, rows, cols), DType.Q4);
        Assert.Equal(DType.Q4, w.DType);
        var back = Dequantize(w);
        double err2 = 0, naive2 = 0;
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < cols; b += 32)
            {
                float lo = 0, hi = 0;
                for (int j = b; j < b + 32; j++) { lo = Math.Min(lo, wf[r * cols + j]); hi = Math.Max(hi, wf[r * cols + j]); }
                double step = (hi - lo) / 15.0;
                for (int j = b; j < b + 32; j++)
                {
                    double e = back[r * cols + j] - wf[r * cols + j];
                    Assert.True(Math.Abs(e) <= step * 1.01 + 1e-6, $"w[{r},{j}]={wf[r * cols + j]} back={back[r * cols + j]} step={step}");
                    err2 += e * e;
                    naive2 += step * step / 12;
                }
            }
        Assert.True(err2 <= naive2, $"RMS error {Math.Sqrt(err2 / wf.Length)} above the range step's {Math.Sqrt(naive2 / wf.Length)}");
        Assert.All(back.AsSpan(5 * cols, cols).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Quantize_Q4_KeepsColumnsThatAreNotWholeSubBlocks()
    {
        var w = WeightPacker.Pack(WeightMatrix.FromArray(RandomArray(new Random(1), 4 * 172, 1f), 4, 172), DType.Q4);
        Assert.Equal(DType.F32, w.DType);
    }

    // y with sentinels past the end, which must be untouched.
    private static float[] RunPadded(WeightMatrix w, float[] x, int n, KernelThreadPool pool, KernelVariant variant)
    {
        var y = new float[n * w.Rows + 8];
        y.AsSpan(n * w.Rows).Fill(12345f);
        w.MatMul(x, y, n, pool, variant);
        for (int k = n * w.Rows; k < y.Length; k++) Assert.Equal(12345f, y[k]);
        return y[..(n * w.Rows)];
    }

    private static float[] Dequantize(WeightMatrix w)
    {
        var all = new float[w.Rows * w.Cols];
        for (int r = 0; r < w.Rows; r++) w.GetRow(r, all.AsSpan(r * w.Cols, w.Cols));
        return all;
    }

    private static float[] RandomArray(Random rng, int length, float scale)
    {
        var a = new float[length];
        for (int k = 0; k < a.Length; k++) a[k] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }
}
