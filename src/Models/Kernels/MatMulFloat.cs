using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// <c>y[i, r] = Σ_c W[r, c] · x[i, c]</c> for f32/bf16/f16 weights packed in panels of 16 rows
/// (<see cref="WeightMatrix"/>; <typeparamref name="TLoad"/> converts the stored dtype in registers).
/// <para>
/// For each column c a panel gives one vector of 16 rows, multiplied by the broadcast <c>x[i, c]</c> and
/// accumulated lane-wise: lane j is output row 16p + j. So there are no horizontal sums and no column tails,
/// a panel is one sequential stream (decode is bound by that stream), and in prefill one weight vector feeds
/// 12 inputs (12 independent accumulators keep the FMA unit busy; the panel stays in L1/L2 for all inputs).
/// </para>
/// <para>
/// Every (row, input) is one FMA chain over the columns in order, in every tile, width and thread split, so
/// batching sequences never changes a bit, and the Vector512, Vector256 and scalar paths agree exactly.
/// </para>
/// </summary>
[SkipLocalsInit]
internal static unsafe class MatMulFloat<TLoad> where TLoad : struct, IRowLoader
{
    private const int Lanes = WeightMatrix.PanelRows;

    /// <summary>Panels [p0, p1) of y <c>[n, rows]</c> for inputs x <c>[n, cols]</c>.</summary>
    public static void Panels(KernelVariant variant, byte* w, int cols, float* x, float* y, int rows, int p0, int p1, int n)
    {
        switch (variant)
        {
            case KernelVariant.V512: Panels512(w, cols, x, y, rows, p0, p1, n); break;
            case KernelVariant.V256: Panels256(w, cols, x, y, rows, p0, p1, n); break;
            default: PanelsScalar(w, cols, x, y, rows, p0, p1, n); break;
        }
    }

    // ---------------------------------------------------------------- Vector512: one vector per panel column

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Panels512(byte* w, int cols, float* x, float* y, int rows, int p0, int p1, int n)
    {
        nint panelBytes = (nint)cols * Lanes * TLoad.ElementBytes;
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            int i = 0;
            for (; i + 12 <= n; i += 12) Tile12_512(wp, cols, x + (nint)i * cols, y + (nint)i * rows + r, rows, valid);
            for (; i + 4 <= n; i += 4) Tile4_512(wp, cols, x + (nint)i * cols, y + (nint)i * rows + r, rows, valid);
            for (; i < n; i++) Store(Tile1_512(wp, cols, x + (nint)i * cols), y + (nint)i * rows + r, valid);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tile1_512(byte* wp, int cols, float* x)
    {
        Vector512<float> a = default;
        for (nint c = 0; c < cols; c++)
            a = Vector512.FusedMultiplyAdd(TLoad.Load512(wp, c * Lanes), Vector512.Create(x[c]), a);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4_512(byte* wp, int cols, float* x, float* y, int ldy, int valid)
    {
        nint k = cols;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (nint c = 0; c < cols; c++)
        {
            var v = TLoad.Load512(wp, c * Lanes);
            float* xc = x + c;
            a0 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[0]), a0);
            a1 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[k]), a1);
            a2 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[2 * k]), a2);
            a3 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[3 * k]), a3);
        }
        Store(a0, y, valid); Store(a1, y + ldy, valid); Store(a2, y + 2 * ldy, valid); Store(a3, y + 3 * ldy, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile12_512(byte* wp, int cols, float* x, float* y, int ldy, int valid)
    {
        nint k = cols;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (nint c = 0; c < cols; c++)
        {
            var v = TLoad.Load512(wp, c * Lanes);
            float* xc = x + c;
            a0 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[0]), a0);
            a1 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[k]), a1);
            a2 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[2 * k]), a2);
            a3 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[3 * k]), a3);
            a4 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[4 * k]), a4);
            a5 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[5 * k]), a5);
            a6 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[6 * k]), a6);
            a7 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[7 * k]), a7);
            a8 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[8 * k]), a8);
            a9 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[9 * k]), a9);
            a10 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[10 * k]), a10);
            a11 = Vector512.FusedMultiplyAdd(v, Vector512.Create(xc[11 * k]), a11);
        }
        Store(a0, y, valid); Store(a1, y + ldy, valid); Store(a2, y + 2 * ldy, valid); Store(a3, y + 3 * ldy, valid);
        Store(a4, y + 4 * ldy, valid); Store(a5, y + 5 * ldy, valid); Store(a6, y + 6 * ldy, valid); Store(a7, y + 7 * ldy, valid);
        Store(a8, y + 8 * ldy, valid); Store(a9, y + 9 * ldy, valid); Store(a10, y + 10 * ldy, valid); Store(a11, y + 11 * ldy, valid);
    }

    /// <summary>The first <paramref name="valid"/> lanes (all but in a last, zero-padded panel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> v, float* y, int valid)
    {
        if (valid == Lanes) { v.Store(y); return; }
        for (int j = 0; j < valid; j++) y[j] = v.GetElement(j);
    }

    // ---------------------------------------------------------------- Vector256: two half-panel vectors per column

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Panels256(byte* w, int cols, float* x, float* y, int rows, int p0, int p1, int n)
    {
        nint panelBytes = (nint)cols * Lanes * TLoad.ElementBytes;
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            int i = 0;
            for (; i + 4 <= n; i += 4) Tile4_256(wp, cols, x + (nint)i * cols, y + (nint)i * rows + r, rows, valid);
            for (; i < n; i++) Tile1_256(wp, cols, x + (nint)i * cols, y + (nint)i * rows + r, valid);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1_256(byte* wp, int cols, float* x, float* y, int valid)
    {
        Vector256<float> lo = default, hi = default;
        for (nint c = 0; c < cols; c++)
        {
            var xv = Vector256.Create(x[c]);
            lo = Vector256.FusedMultiplyAdd(TLoad.Load256(wp, c * Lanes), xv, lo);
            hi = Vector256.FusedMultiplyAdd(TLoad.Load256(wp, c * Lanes + 8), xv, hi);
        }
        Store(lo, hi, y, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4_256(byte* wp, int cols, float* x, float* y, int ldy, int valid)
    {
        nint k = cols;
        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default, h0 = default, h1 = default, h2 = default, h3 = default;
        for (nint c = 0; c < cols; c++)
        {
            var lo = TLoad.Load256(wp, c * Lanes);
            var hi = TLoad.Load256(wp, c * Lanes + 8);
            float* xc = x + c;
            var xv = Vector256.Create(xc[0]);
            l0 = Vector256.FusedMultiplyAdd(lo, xv, l0); h0 = Vector256.FusedMultiplyAdd(hi, xv, h0);
            xv = Vector256.Create(xc[k]);
            l1 = Vector256.FusedMultiplyAdd(lo, xv, l1); h1 = Vector256.FusedMultiplyAdd(hi, xv, h1);
            xv = Vector256.Create(xc[2 * k]);
            l2 = Vector256.FusedMultiplyAdd(lo, xv, l2); h2 = Vector256.FusedMultiplyAdd(hi, xv, h2);
            xv = Vector256.Create(xc[3 * k]);
            l3 = Vector256.FusedMultiplyAdd(lo, xv, l3); h3 = Vector256.FusedMultiplyAdd(hi, xv, h3);
        }
        Store(l0, h0, y, valid); Store(l1, h1, y + ldy, valid); Store(l2, h2, y + 2 * ldy, valid); Store(l3, h3, y + 3 * ldy, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> lo, Vector256<float> hi, float* y, int valid)
    {
        if (valid == Lanes) { lo.Store(y); hi.Store(y + 8); return; }
        for (int j = 0; j < valid; j++) y[j] = j < 8 ? lo.GetElement(j) : hi.GetElement(j - 8);
    }

    // ---------------------------------------------------------------- scalar reference (same chains, lane by lane)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void PanelsScalar(byte* w, int cols, float* x, float* y, int rows, int p0, int p1, int n)
    {
        nint panelBytes = (nint)cols * Lanes * TLoad.ElementBytes;
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            for (int i = 0; i < n; i++)
            {
                float* xi = x + (nint)i * cols;
                for (int j = 0; j < valid; j++)
                {
                    float sum = 0;
                    for (nint c = 0; c < cols; c++) sum = MathF.FusedMultiplyAdd(TLoad.LoadScalar(wp, c * Lanes + j), xi[c], sum);
                    y[(nint)i * rows + r + j] = sum;
                }
            }
        }
    }
}
