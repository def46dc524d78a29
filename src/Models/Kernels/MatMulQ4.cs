using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SteerServer.Models.Kernels;

/// <summary>
/// 4-bit weights in the manner of llama.cpp's Q4_K: super-blocks of 256 columns (the last one of a row may be shorter,
/// any multiple of 32), each of sub-blocks of 32 columns. Weight = <c>d · sc · q − dmin · m</c> with q a 4-bit code,
/// (sc, m) an 8-bit scale and min per sub-block and (d, dmin) bf16 per super-block, all per row. 4.625 bits per weight.
/// <para>
/// Packed in panels of 16 rows like q8_0 (<see cref="WeightMatrix"/>). A super-block of S sub-blocks holds the codes
/// first, 256 bytes per sub-block in 4 groups of 64 bytes: group g, row j, byte i (0…3) has column 8g + i in its low
/// nibble and 8g + 4 + i in its high one. Then the 16 rows' d (bf16), the 16 rows' dmin (bf16), the scales [S][16] and
/// the mins in pairs of sub-blocks [(S + 1) / 2][16][2] (u8); the whole rounded up to 64 bytes.
/// </para>
/// <para>
/// Activations are quantised per call to int8 with one f32 scale per super-block (as llama.cpp's Q8_K) and their
/// per-sub-block sums (<see cref="Quantize.RowQ8_K"/>). One step: the 64 bytes of a group are split into low and high
/// nibbles (two 16 rows × 4 columns u8 vectors), <c>vpmaddubsw</c> with the broadcast int8 quadruple of the input gives
/// int16 pair sums, and a sub-block's eight of them (≤ 8 · 3810, no saturation) are summed in int16, then
/// <c>vpmaddwd</c> with the rows' scales makes them <c>sc · Σ q·x</c> in int32. The mins enter once per super-block as
/// <c>Σ m · Σx</c>. Every sum is an exact integer and the f32 part is the same two FMAs per super-block in every tile,
/// width and thread split: batching never changes a bit, and the Vector512, Vector256 and scalar paths agree exactly.
/// </para>
/// </summary>
[SkipLocalsInit]
internal static unsafe class MatMulQ4
{
    private const int Lanes = WeightMatrix.PanelRows;
    public const int Sub = 32;
    public const int SuperCols = 256;
    private const int SubsPerSuper = SuperCols / Sub;

    /// <summary>Bytes of a super-block of <paramref name="subs"/> sub-blocks (2368 for a full one).</summary>
    public static int SuperBytes(int subs) => (Lanes * Sub / 2 * subs + 4 * Lanes + Lanes * subs + 2 * Lanes * ((subs + 1) / 2) + 63) & ~63;

    /// <summary>Bytes of one panel of 16 rows.</summary>
    public static long PanelBytes(int cols) =>
        (long)(cols / SuperCols) * SuperBytes(SubsPerSuper) + (cols % SuperCols != 0 ? SuperBytes(cols % SuperCols / Sub) : 0);

    /// <summary>Super-blocks per row.</summary>
    public static int Supers(int cols) => (cols + SuperCols - 1) / SuperCols;

    /// <summary>Sub-blocks of super-block <paramref name="sb"/>.</summary>
    private static int SubsOf(int cols, int sb) => Math.Min(SubsPerSuper, (cols - sb * SuperCols) / Sub);

    // Offsets inside a super-block of `subs` sub-blocks.
    private static int DOffset(int subs) => Lanes * Sub / 2 * subs;
    private static int DMinOffset(int subs) => DOffset(subs) + 2 * Lanes;
    private static int ScalesOffset(int subs) => DOffset(subs) + 4 * Lanes;
    private static int MinsOffset(int subs) => ScalesOffset(subs) + Lanes * subs;

    /// <summary>Offset of super-block <paramref name="sb"/> inside its panel.</summary>
    private static nint SuperOffset(int sb) => (nint)sb * SuperBytes(SubsPerSuper);

    /// <summary>The f32 value of element (row j of the panel, column c).</summary>
    public static float Dequantize(byte* panel, int cols, int j, int c)
    {
        int sb = c / SuperCols, subs = SubsOf(cols, sb), s = c % SuperCols / Sub, k = c % Sub;
        byte* w = panel + SuperOffset(sb);
        int g = k / 8, i = k % 8;
        byte code = w[Sub * Lanes / 2 * s + 64 * g + 4 * j + i % 4];
        int q = i < 4 ? code & 15 : code >> 4;
        float d = MatMulBf16.ToSingle(((ushort*)(w + DOffset(subs)))[j]), dmin = MatMulBf16.ToSingle(((ushort*)(w + DMinOffset(subs)))[j]);
        int sc = w[ScalesOffset(subs) + Lanes * s + j], m = w[MinsOffset(subs) + 2 * Lanes * (s / 2) + 2 * j + s % 2];
        return d * sc * q - dmin * m;
    }

    // ---------------------------------------------------------------- packing (load time)

    /// <summary>
    /// Quantises the <paramref name="valid"/> rows at <paramref name="rows"/> (row-major, cols a multiple of 32) into one
    /// panel; the lanes past them stay as they are (zero). The sub-block fits, most of the packing time, run for the
    /// 16 rows at once when Vector512 is accelerated, each lane the scalar fit's exact operations: the same bytes.
    /// </summary>
    public static void PackPanel(float* rows, int valid, int cols, byte* panel)
    {
        float* scale = stackalloc float[SubsPerSuper * Lanes]; // a super-block's fits, [sub-block][lane]
        float* min = stackalloc float[SubsPerSuper * Lanes];
        float* xt = stackalloc float[Sub * Lanes];
        for (int sb = 0; sb < Supers(cols); sb++)
        {
            int subs = SubsOf(cols, sb);
            for (int s = 0; s < subs; s++)
            {
                long c0 = sb * SuperCols + s * Sub;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (int j = 0; j < Lanes; j++)
                        for (int k = 0; k < Sub; k++) xt[k * Lanes + j] = j < valid ? rows[j * cols + c0 + k] : 0;
                    FitSubBlocks16(xt, scale + s * Lanes, min + s * Lanes);
                }
                else
                {
                    for (int j = 0; j < valid; j++) FitSubBlock(rows + j * cols + c0, out scale[s * Lanes + j], out min[s * Lanes + j]);
                }
            }
            for (int j = 0; j < valid; j++)
                PackSuperBlock(rows + (long)j * cols + sb * SuperCols, subs, panel + SuperOffset(sb), j, scale, min);
        }
    }

    /// <summary>
    /// One row's super-block of <paramref name="subs"/> sub-blocks into lane <paramref name="lane"/>, given the fitted
    /// scales and mins (<c>[sub-block][lane]</c>).
    /// </summary>
    private static void PackSuperBlock(float* x, int subs, byte* w, int lane, float* scale, float* min)
    {
        float maxScale = 0, maxMin = 0;
        for (int s = 0; s < subs; s++)
        {
            maxScale = MathF.Max(maxScale, scale[s * Lanes + lane]);
            maxMin = MathF.Max(maxMin, min[s * Lanes + lane]);
        }
        // d and dmin rounded up to bf16, so every 8-bit sub-scale and min fits in 255.
        ushort dBits = MatMulBf16.RoundUp(maxScale / 255), dminBits = MatMulBf16.RoundUp(maxMin / 255);
        float d = MatMulBf16.ToSingle(dBits), dmin = MatMulBf16.ToSingle(dminBits);
        ((ushort*)(w + DOffset(subs)))[lane] = dBits;
        ((ushort*)(w + DMinOffset(subs)))[lane] = dminBits;
        for (int s = 0; s < subs; s++)
        {
            int sc = d > 0 ? (int)Math.Clamp(MathF.Round(scale[s * Lanes + lane] / d), 0, 255) : 0;
            int m = dmin > 0 ? (int)Math.Clamp(MathF.Round(min[s * Lanes + lane] / dmin), 0, 255) : 0;
            w[ScalesOffset(subs) + Lanes * s + lane] = (byte)sc;
            w[MinsOffset(subs) + 2 * Lanes * (s / 2) + 2 * lane + s % 2] = (byte)m;
            // The codes against the stored (rounded) scale and min.
            float step = d * sc, offset = dmin * m, inv = step > 0 ? 1 / step : 0;
            byte* codes = w + Sub * Lanes / 2 * s + 4 * lane;
            for (int k = 0; k < Sub; k++)
            {
                int q = (int)Math.Clamp(MathF.Round((x[s * Sub + k] + offset) * inv), 0, 15);
                int g = k / 8, i = k % 8;
                ref byte b = ref codes[64 * g + i % 4];
                b = i < 4 ? (byte)((b & 0xF0) | q) : (byte)((b & 0x0F) | q << 4);
            }
        }
    }

    /// <summary>
    /// <see cref="FitSubBlock"/> for 16 sub-blocks at once, lane j from <c>xt[k · 16 + j]</c>: every lane performs the
    /// scalar fit's operations in its order (no FMA contraction, round-half-even, the same comparisons as masks).
    /// </summary>
    internal static void FitSubBlocks16(float* xt, float* bestScaleOut, float* bestMinOut)
    {
        var zero = Vector512<float>.Zero;
        var fifteen = Vector512.Create(15f);
        Vector512<float> lo = zero, hi = Vector512.Load(xt), sumSq = zero;
        for (int k = 0; k < Sub; k++)
        {
            var x = Vector512.Load(xt + k * Lanes);
            lo = Vector512.Min(lo, x);
            hi = Vector512.Max(hi, x);
            sumSq += x * x;
        }
        var rms = Vector512.Sqrt(sumSq / Vector512.Create((float)Sub));
        var range = hi - lo;
        var bestScale = range / fifteen;
        var bestMin = -lo;
        var active = Vector512.GreaterThan(hi, lo);
        float* weight = stackalloc float[Sub * Lanes];
        Vector512<float> sumW = zero, sumWX = zero;
        for (int k = 0; k < Sub; k++)
        {
            var x = Vector512.Load(xt + k * Lanes);
            var w = Vector512.Abs(x) + rms;
            w.Store(weight + k * Lanes);
            sumW += w;
            sumWX += w * x;
        }
        var bestErr = Error16(xt, weight, bestScale, bestMin);
        for (int step = 0; step <= 10; step++)
        {
            var iscale = Vector512.Create(15 - 1 + 0.2f * step) / range;
            Vector512<float> sumL = zero, sumL2 = zero, sumXL = zero;
            for (int k = 0; k < Sub; k++)
            {
                var x = Vector512.Load(xt + k * Lanes);
                var w = Vector512.Load(weight + k * Lanes);
                var l = Vector512.Min(Vector512.Max(Vector512.Round(iscale * (x - lo)), zero), fifteen);
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x;
            }
            var det = sumW * sumL2 - sumL * sumL;
            var scale = (sumW * sumXL - sumL * sumWX) / det;
            var offset = (sumL2 * sumWX - sumL * sumXL) / det;
            var positive = Vector512.GreaterThan(offset, zero);
            offset = Vector512.ConditionalSelect(positive, zero, offset);
            scale = Vector512.ConditionalSelect(positive, sumXL / sumL2, scale);
            var err = Error16(xt, weight, scale, -offset);
            var better = active & Vector512.GreaterThan(det, zero) & Vector512.GreaterThan(scale, zero) & Vector512.LessThan(err, bestErr);
            bestErr = Vector512.ConditionalSelect(better, err, bestErr);
            bestScale = Vector512.ConditionalSelect(better, scale, bestScale);
            bestMin = Vector512.ConditionalSelect(better, -offset, bestMin);
        }
        bestScale.Store(bestScaleOut);
        bestMin.Store(bestMinOut);
    }

    private static Vector512<float> Error16(float* xt, float* weight, Vector512<float> scale, Vector512<float> min)
    {
        var inv = Vector512<float>.One / scale;
        var err = Vector512<float>.Zero;
        for (int k = 0; k < Sub; k++)
        {
            var x = Vector512.Load(xt + k * Lanes);
            var w = Vector512.Load(weight + k * Lanes);
            var q = Vector512.Min(Vector512.Max(Vector512.Round((x + min) * inv), Vector512<float>.Zero), Vector512.Create(15f));
            var diff = scale * q - min - x;
            err += w * diff * diff;
        }
        return err;
    }

    /// <summary>
    /// The scale and min of one sub-block (w ≈ scale · q − min, q in 0…15, min ≥ 0), as llama.cpp's make_qkx2_quants:
    /// from the range, try a few scales around 15 / range, refit scale and min by weighted least squares for each set of
    /// codes, keep the one of least weighted error. Weights |x| + rms: large values matter more.
    /// </summary>
    internal static void FitSubBlock(float* x, out float bestScale, out float bestMin)
    {
        float lo = 0, hi = x[0], sumSq = 0;
        for (int k = 0; k < Sub; k++)
        {
            lo = MathF.Min(lo, x[k]);
            hi = MathF.Max(hi, x[k]);
            sumSq += x[k] * x[k];
        }
        float rms = MathF.Sqrt(sumSq / Sub);
        bestScale = (hi - lo) / 15;
        bestMin = -lo;
        if (hi <= lo) return; // constant block (a non-positive constant: q = 0 and min = −x)
        Span<float> weight = stackalloc float[Sub];
        float sumW = 0, sumWX = 0;
        for (int k = 0; k < Sub; k++)
        {
            weight[k] = MathF.Abs(x[k]) + rms;
            sumW += weight[k];
            sumWX += weight[k] * x[k];
        }
        float bestErr = Error(x, weight, bestScale, bestMin);
        for (int step = 0; step <= 10; step++)
        {
            float iscale = (15 - 1 + 0.2f * step) / (hi - lo);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int k = 0; k < Sub; k++)
            {
                float l = Math.Clamp(MathF.Round(iscale * (x[k] - lo)), 0, 15);
                sumL += weight[k] * l;
                sumL2 += weight[k] * l * l;
                sumXL += weight[k] * l * x[k];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det <= 0) continue;
            float scale = (sumW * sumXL - sumL * sumWX) / det;
            float offset = (sumL2 * sumWX - sumL * sumXL) / det; // x ≈ scale · l + offset
            if (offset > 0) { offset = 0; scale = sumXL / sumL2; }
            if (scale <= 0) continue;
            float err = Error(x, weight, scale, -offset);
            if (err < bestErr) { bestErr = err; bestScale = scale; bestMin = -offset; }
        }
    }

    private static float Error(float* x, ReadOnlySpan<float> weight, float scale, float min)
    {
        float inv = 1 / scale, err = 0;
        for (int k = 0; k < Sub; k++)
        {
            float q = Math.Clamp(MathF.Round((x[k] + min) * inv), 0, 15);
            float diff = scale * q - min - x[k];
            err += weight[k] * diff * diff;
        }
        return err;
    }

    // ---------------------------------------------------------------- products

    /// <summary>Panels [p0, p1) of y <c>[n, rows]</c>.</summary>
    /// <param name="xq">Activations [n, cols] in int8.</param>
    /// <param name="xd">Activation scales [n, supers].</param>
    /// <param name="xs">Activation sums per sub-block [n, cols / 32 + 1] in int16 (the last one a zero pad).</param>
    public static void Panels(KernelVariant variant, byte* w, int cols, sbyte* xq, float* xd, short* xs, float* y, int rows, int p0, int p1, int n)
    {
        if (variant == KernelVariant.V512 && Avx512BW.IsSupported) Panels512(w, cols, xq, xd, xs, y, rows, p0, p1, n);
        else if (variant is KernelVariant.V512 or KernelVariant.V256 && Avx2.IsSupported) Panels256(w, cols, xq, xd, xs, y, rows, p0, p1, n);
        else PanelsScalar(w, cols, xq, xd, xs, y, rows, p0, p1, n);
    }

    /// <summary>Stride of a row of activation sums: one per sub-block and a zero pad (read by an odd last pair).</summary>
    public static int SumStride(int cols) => cols / Sub + 1;

    // ---------------------------------------------------------------- Vector512 (AVX-512BW)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Panels512(byte* w, int cols, sbyte* xq, float* xd, short* xs, float* y, int rows, int p0, int p1, int n)
    {
        long panelBytes = PanelBytes(cols);
        int supers = Supers(cols), sums = SumStride(cols);
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            int i = 0;
            for (; i + 8 <= n; i += 8)
                Tile512<Count8>(wp, cols, xq + (nint)i * cols, xd + (nint)i * supers, xs + (nint)i * sums, y + (nint)i * rows + r, rows, valid);
            sbyte* xi = xq + (nint)i * cols;
            float* di = xd + (nint)i * supers;
            short* si = xs + (nint)i * sums;
            float* yi = y + (nint)i * rows + r;
            switch (n - i)
            {
                case 0: break;
                case 1: Tile512<Count1>(wp, cols, xi, di, si, yi, rows, valid); break;
                case 2: Tile512<Count2>(wp, cols, xi, di, si, yi, rows, valid); break;
                case 3: Tile512<Count3>(wp, cols, xi, di, si, yi, rows, valid); break;
                case 4: Tile512<Count4>(wp, cols, xi, di, si, yi, rows, valid); break;
                case 5: Tile512<Count5>(wp, cols, xi, di, si, yi, rows, valid); break;
                case 6: Tile512<Count6>(wp, cols, xi, di, si, yi, rows, valid); break;
                default: Tile512<Count7>(wp, cols, xi, di, si, yi, rows, valid); break;
            }
        }
    }

    /// <summary>Σ over the four groups of a sub-block of the nibble · int8 products of one input, in int16 pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Dot512(Vector512<byte> l0, Vector512<byte> h0, Vector512<byte> l1, Vector512<byte> h1,
        Vector512<byte> l2, Vector512<byte> h2, Vector512<byte> l3, Vector512<byte> h3, int* x)
    {
        var a = Avx512BW.MultiplyAddAdjacent(l0, Vector512.Create(x[0]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(h0, Vector512.Create(x[1]).AsSByte());
        var b = Avx512BW.MultiplyAddAdjacent(l1, Vector512.Create(x[2]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(h1, Vector512.Create(x[3]).AsSByte());
        a += Avx512BW.MultiplyAddAdjacent(l2, Vector512.Create(x[4]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(h2, Vector512.Create(x[5]).AsSByte());
        b += Avx512BW.MultiplyAddAdjacent(l3, Vector512.Create(x[6]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(h3, Vector512.Create(x[7]).AsSByte());
        return a + b;
    }

    /// <summary>
    /// One panel against <typeparamref name="T"/> inputs (1 … 8): each unpacked code vector feeds every input; per input
    /// an int32 accumulator over the super-block and an f32 one over the row (the unused ones are compiled away).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile512<T>(byte* wp, int cols, sbyte* xq, float* xd, short* xs, float* y, int ldy, int valid) where T : struct, ICount
    {
        int m = T.Value;
        int supers = Supers(cols);
        nint k = cols / 4, ks = SumStride(cols); // input strides in int8 quadruples and in sums
        var mask = Vector512.Create((byte)15);
        Vector512<float> f0 = default, f1 = default, f2 = default, f3 = default, f4 = default, f5 = default, f6 = default, f7 = default;
        for (int sb = 0; sb < supers; sb++)
        {
            int subs = SubsOf(cols, sb);
            byte* ws = wp + SuperOffset(sb);
            byte* scales = ws + ScalesOffset(subs);
            Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int s = 0; s < subs; s++)
            {
                byte* wb = ws + Sub * Lanes / 2 * s;
                int* x = (int*)(xq + sb * SuperCols + s * Sub);
                var v0 = Vector512.Load(wb);
                var v1 = Vector512.Load(wb + 64);
                var v2 = Vector512.Load(wb + 128);
                var v3 = Vector512.Load(wb + 192);
                var l0 = v0 & mask; var h0 = Vector512.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & mask;
                var l1 = v1 & mask; var h1 = Vector512.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & mask;
                var l2 = v2 & mask; var h2 = Vector512.ShiftRightLogical(v2.AsUInt16(), 4).AsByte() & mask;
                var l3 = v3 & mask; var h3 = Vector512.ShiftRightLogical(v3.AsUInt16(), 4).AsByte() & mask;
                var sc32 = Avx512F.ConvertToVector512Int32(Vector128.Load(scales + Lanes * s));
                var sc = (sc32 | Vector512.ShiftLeft(sc32, 16)).AsInt16(); // row j's scale in both halves of lane j
                a0 += Avx512BW.MultiplyAddAdjacent(Dot512(l0, h0, l1, h1, l2, h2, l3, h3, x), sc);
                if (m > 1) a1 += Avx512BW.MultiplyAddAdjacent(Dot512(l0, h0, l1, h1, l2, h2, l3, h3, x + k), sc);
                if (m > 2) a2 += Avx512BW.MultiplyAddAdjacent(Dot512(l0, h0, l1, h1, l2, h2, l3, h3, x + 2 * k), sc);
                if (m > 3) a3 += Avx512BW.MultiplyAddAdjacent(Dot512(l0, h0, l1, h1, l2, h2, l3, h3, x + 3 * k), sc);
                if (m > 4) a4 += Avx512BW.MultiplyAddAdjacent(Dot512(l0, h0, l1, h1, l2, h2, l3, h3, x + 4 * k), sc);
                if (m > 5) a5 += Avx512BW.MultiplyAddAdjacent(Dot512(l0, h0, l1, h1, l2, h2, l3, h3, x + 5 * k), sc);
                if (m > 6) a6 += Avx512BW.MultiplyAddAdjacent(Dot512(l0, h0, l1, h1, l2, h2, l3, h3, x + 6 * k), sc);
                if (m > 7) a7 += Avx512BW.MultiplyAddAdjacent(Dot512(l0, h0, l1, h1, l2, h2, l3, h3, x + 7 * k), sc);
            }
            var d = Scales512(ws + DOffset(subs));
            var dmin = Scales512(ws + DMinOffset(subs));
            byte* mins = ws + MinsOffset(subs);
            int pairs = (subs + 1) / 2;
            short* sums = xs + sb * SubsPerSuper;
            float* dx = xd + sb;
            f0 = Finish512(a0, d, dmin, mins, pairs, sums, dx[0], f0);
            if (m > 1) f1 = Finish512(a1, d, dmin, mins, pairs, sums + ks, dx[supers], f1);
            if (m > 2) f2 = Finish512(a2, d, dmin, mins, pairs, sums + 2 * ks, dx[2 * supers], f2);
            if (m > 3) f3 = Finish512(a3, d, dmin, mins, pairs, sums + 3 * ks, dx[3 * supers], f3);
            if (m > 4) f4 = Finish512(a4, d, dmin, mins, pairs, sums + 4 * ks, dx[4 * supers], f4);
            if (m > 5) f5 = Finish512(a5, d, dmin, mins, pairs, sums + 5 * ks, dx[5 * supers], f5);
            if (m > 6) f6 = Finish512(a6, d, dmin, mins, pairs, sums + 6 * ks, dx[6 * supers], f6);
            if (m > 7) f7 = Finish512(a7, d, dmin, mins, pairs, sums + 7 * ks, dx[7 * supers], f7);
        }
        PanelStore.Store(f0, y, valid);
        if (m > 1) PanelStore.Store(f1, y + ldy, valid);
        if (m > 2) PanelStore.Store(f2, y + 2 * ldy, valid);
        if (m > 3) PanelStore.Store(f3, y + 3 * ldy, valid);
        if (m > 4) PanelStore.Store(f4, y + 4 * ldy, valid);
        if (m > 5) PanelStore.Store(f5, y + 5 * ldy, valid);
        if (m > 6) PanelStore.Store(f6, y + 6 * ldy, valid);
        if (m > 7) PanelStore.Store(f7, y + 7 * ldy, valid);
    }

    /// <summary>f + acc · (d · dx) − (Σ mins · sums) · (dmin · dx): one super-block of one input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Finish512(Vector512<int> acc, Vector512<float> d, Vector512<float> dmin, byte* mins, int pairs, short* sums, float dx,
        Vector512<float> f)
    {
        Vector512<int> am = default;
        for (int t = 0; t < pairs; t++)
            am += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(mins + 2 * Lanes * t)), Vector512.Create(*(int*)(sums + 2 * t)).AsInt16());
        var vdx = Vector512.Create(dx);
        f = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(acc), d * vdx, f);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(am), -(dmin * vdx), f);
    }

    /// <summary>16 rows' bf16 values as f32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scales512(byte* p) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load((ushort*)p).ToVector512Unsafe()), 16).AsSingle();


    // ---------------------------------------------------------------- Vector256 (AVX2): rows 0-7 and 8-15 as two halves

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Panels256(byte* w, int cols, sbyte* xq, float* xd, short* xs, float* y, int rows, int p0, int p1, int n)
    {
        long panelBytes = PanelBytes(cols);
        int supers = Supers(cols), sums = SumStride(cols);
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            for (int h = 0; h < 2; h++)
            {
                int validHalf = Math.Clamp(valid - 8 * h, 0, 8);
                if (validHalf == 0) continue;
                int i = 0;
                for (; i + 4 <= n; i += 4)
                    Tile256<Count4>(wp, h, cols, xq + (nint)i * cols, xd + (nint)i * supers, xs + (nint)i * sums, y + (nint)i * rows + r + 8 * h, rows, validHalf);
                for (; i < n; i++)
                    Tile256<Count1>(wp, h, cols, xq + (nint)i * cols, xd + (nint)i * supers, xs + (nint)i * sums, y + (nint)i * rows + r + 8 * h, rows, validHalf);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Dot256(Vector256<byte> l0, Vector256<byte> h0, Vector256<byte> l1, Vector256<byte> h1,
        Vector256<byte> l2, Vector256<byte> h2, Vector256<byte> l3, Vector256<byte> h3, int* x)
    {
        var a = Avx2.MultiplyAddAdjacent(l0, Vector256.Create(x[0]).AsSByte()) + Avx2.MultiplyAddAdjacent(h0, Vector256.Create(x[1]).AsSByte());
        var b = Avx2.MultiplyAddAdjacent(l1, Vector256.Create(x[2]).AsSByte()) + Avx2.MultiplyAddAdjacent(h1, Vector256.Create(x[3]).AsSByte());
        a += Avx2.MultiplyAddAdjacent(l2, Vector256.Create(x[4]).AsSByte()) + Avx2.MultiplyAddAdjacent(h2, Vector256.Create(x[5]).AsSByte());
        b += Avx2.MultiplyAddAdjacent(l3, Vector256.Create(x[6]).AsSByte()) + Avx2.MultiplyAddAdjacent(h3, Vector256.Create(x[7]).AsSByte());
        return a + b;
    }

    /// <summary>Rows 8h … 8h+7 of one panel against <typeparamref name="T"/> inputs (1 or 4).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile256<T>(byte* wp, int h, int cols, sbyte* xq, float* xd, short* xs, float* y, int ldy, int valid) where T : struct, ICount
    {
        int m = T.Value;
        int supers = Supers(cols);
        nint k = cols / 4, ks = SumStride(cols);
        var mask = Vector256.Create((byte)15);
        Vector256<float> f0 = default, f1 = default, f2 = default, f3 = default;
        for (int sb = 0; sb < supers; sb++)
        {
            int subs = SubsOf(cols, sb);
            byte* ws = wp + SuperOffset(sb);
            byte* scales = ws + ScalesOffset(subs) + 8 * h;
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int s = 0; s < subs; s++)
            {
                byte* wb = ws + Sub * Lanes / 2 * s + 32 * h;
                int* x = (int*)(xq + sb * SuperCols + s * Sub);
                var v0 = Vector256.Load(wb);
                var v1 = Vector256.Load(wb + 64);
                var v2 = Vector256.Load(wb + 128);
                var v3 = Vector256.Load(wb + 192);
                var l0 = v0 & mask; var h0 = Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & mask;
                var l1 = v1 & mask; var h1 = Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & mask;
                var l2 = v2 & mask; var h2 = Vector256.ShiftRightLogical(v2.AsUInt16(), 4).AsByte() & mask;
                var l3 = v3 & mask; var h3 = Vector256.ShiftRightLogical(v3.AsUInt16(), 4).AsByte() & mask;
                var sc32 = Avx2.ConvertToVector256Int32(scales + Lanes * s);
                var sc = (sc32 | Vector256.ShiftLeft(sc32, 16)).AsInt16();
                a0 += Avx2.MultiplyAddAdjacent(Dot256(l0, h0, l1, h1, l2, h2, l3, h3, x), sc);
                if (m > 1) a1 += Avx2.MultiplyAddAdjacent(Dot256(l0, h0, l1, h1, l2, h2, l3, h3, x + k), sc);
                if (m > 2) a2 += Avx2.MultiplyAddAdjacent(Dot256(l0, h0, l1, h1, l2, h2, l3, h3, x + 2 * k), sc);
                if (m > 3) a3 += Avx2.MultiplyAddAdjacent(Dot256(l0, h0, l1, h1, l2, h2, l3, h3, x + 3 * k), sc);
            }
            var d = Scales256(ws + DOffset(subs) + 16 * h);
            var dmin = Scales256(ws + DMinOffset(subs) + 16 * h);
            byte* mins = ws + MinsOffset(subs) + 16 * h;
            int pairs = (subs + 1) / 2;
            short* sums = xs + sb * SubsPerSuper;
            float* dx = xd + sb;
            f0 = Finish256(a0, d, dmin, mins, pairs, sums, dx[0], f0);
            if (m > 1) f1 = Finish256(a1, d, dmin, mins, pairs, sums + ks, dx[supers], f1);
            if (m > 2) f2 = Finish256(a2, d, dmin, mins, pairs, sums + 2 * ks, dx[2 * supers], f2);
            if (m > 3) f3 = Finish256(a3, d, dmin, mins, pairs, sums + 3 * ks, dx[3 * supers], f3);
        }
        PanelStore.Store(f0, y, valid);
        if (m > 1) PanelStore.Store(f1, y + ldy, valid);
        if (m > 2) PanelStore.Store(f2, y + 2 * ldy, valid);
        if (m > 3) PanelStore.Store(f3, y + 3 * ldy, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish256(Vector256<int> acc, Vector256<float> d, Vector256<float> dmin, byte* mins, int pairs, short* sums, float dx,
        Vector256<float> f)
    {
        Vector256<int> am = default;
        for (int t = 0; t < pairs; t++)
            am += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(mins + 2 * Lanes * t)), Vector256.Create(*(int*)(sums + 2 * t)).AsInt16());
        var vdx = Vector256.Create(dx);
        f = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(acc), d * vdx, f);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(am), -(dmin * vdx), f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales256(byte* p) =>
        Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load((ushort*)p).ToVector256Unsafe()), 16).AsSingle();


    // ---------------------------------------------------------------- scalar reference (same sums, lane by lane)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void PanelsScalar(byte* w, int cols, sbyte* xq, float* xd, short* xs, float* y, int rows, int p0, int p1, int n)
    {
        long panelBytes = PanelBytes(cols);
        int supers = Supers(cols), stride = SumStride(cols);
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            for (int i = 0; i < n; i++)
            {
                sbyte* xi = xq + (nint)i * cols;
                short* si = xs + (nint)i * stride;
                for (int j = 0; j < valid; j++)
                {
                    float f = 0;
                    for (int sb = 0; sb < supers; sb++)
                    {
                        int subs = SubsOf(cols, sb);
                        byte* ws = wp + SuperOffset(sb);
                        int acc = 0, am = 0;
                        for (int s = 0; s < subs; s++)
                        {
                            int dot = 0;
                            for (int c = 0; c < Sub; c++)
                            {
                                int g = c / 8, e = c % 8;
                                byte code = ws[Sub * Lanes / 2 * s + 64 * g + 4 * j + e % 4];
                                dot += (e < 4 ? code & 15 : code >> 4) * xi[sb * SuperCols + s * Sub + c];
                            }
                            acc += ws[ScalesOffset(subs) + Lanes * s + j] * dot;
                            am += ws[MinsOffset(subs) + 2 * Lanes * (s / 2) + 2 * j + s % 2] * si[sb * SubsPerSuper + s];
                        }
                        float dx = xd[(nint)i * supers + sb];
                        float d = MatMulBf16.ToSingle(((ushort*)(ws + DOffset(subs)))[j]), dmin = MatMulBf16.ToSingle(((ushort*)(ws + DMinOffset(subs)))[j]);
                        f = MathF.FusedMultiplyAdd(acc, d * dx, f);
                        f = MathF.FusedMultiplyAdd(am, -(dmin * dx), f);
                    }
                    y[(nint)i * rows + r + j] = f;
                }
            }
        }
    }
}
