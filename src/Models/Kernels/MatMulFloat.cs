using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SteerServer.Models.Kernels;

/// <summary>
/// <c>y[i, r] = Σ_c W[r, c] · x[i, c]</c> for f32/bf16/f16 weights packed in panels of 16 rows
/// (<see cref="WeightMatrix"/>; <typeparamref name="TLoad"/> reads the stored dtype in registers).
/// <para>
/// For each column c a panel gives one vector of 16 rows, multiplied by the broadcast <c>x[i, c]</c> and
/// accumulated lane-wise: lane j is output row 16p + j. So there are no horizontal sums, a panel is one
/// sequential stream (decode is bound by that stream), and each weight vector loaded feeds up to 12 inputs
/// (prefill: 12 independent accumulators keep the FMA unit busy while the panel stays in L1/L2, the inputs
/// packed by <see cref="PackedInputs"/>). Decode (1–3 inputs) takes four panels at a time for four independent chains.
/// </para>
/// <para>
/// Every (row, input) is one FMA chain over the columns in order, in every tile, width and thread split, so
/// batching sequences never changes a bit, and the Vector512, Vector256 and scalar paths agree exactly.
/// </para>
/// </summary>
[SkipLocalsInit]
internal static unsafe class MatMulFloat<TLoad> where TLoad : struct, IPanelLoader
{
    private const int Lanes = WeightMatrix.PanelRows;

    /// <summary>Panels [p0, p1) of y <c>[n, rows]</c> for inputs x <c>[n, cols]</c>.</summary>
    /// <param name="packed">The same inputs laid out by <see cref="PackedInputs.PackFloats"/> (only Vector512 reads them; for one input, null).</param>
    public static void Panels(KernelVariant variant, byte* w, int cols, float* x, float* packed, float* y, int rows, int p0, int p1, int n)
    {
        switch (variant)
        {
            case KernelVariant.V512: Panels512(w, cols, x, packed, y, rows, p0, p1, n); break;
            case KernelVariant.V256: Panels256(w, cols, x, y, rows, p0, p1, n); break;
            default: PanelsScalar(w, cols, x, y, rows, p0, p1, n); break;
        }
    }

    /// <summary>Bytes of one panel: 16 rows × the columns rounded up to a pair.</summary>
    private static nint PanelBytes(int cols) => (nint)((cols + 1) & ~1) * Lanes * TLoad.ElementBytes;

    // ---------------------------------------------------------------- Vector512: one vector per panel column

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Panels512(byte* w, int cols, float* x, float* packed, float* y, int rows, int p0, int p1, int n)
    {
        nint panelBytes = PanelBytes(cols);
        nint pairs = (cols + 1) >> 1;
        if (n == 1) packed = x; // one input packed is the input itself
        int p = p0;
        if (n < 4)
        {
            // Decode: a single input gives each panel one FMA chain, which waits on the FMA latency (4 cycles) twice per
            // column pair and streams only about 20 GB/s per core. Four whole panels side by side are four independent
            // chains; each chain is unchanged, so the bits are too.
            for (; p + 4 <= p1 && (p + 4) * Lanes <= rows; p += 4)
            {
                switch (n)
                {
                    case 1: Tile512Panels4<Count1>(w + p * panelBytes, panelBytes, cols, packed, y + p * Lanes, rows); break;
                    case 2: Tile512Panels4<Count2>(w + p * panelBytes, panelBytes, cols, packed, y + p * Lanes, rows); break;
                    default: Tile512Panels4<Count3>(w + p * panelBytes, panelBytes, cols, packed, y + p * Lanes, rows); break;
                }
            }
        }
        for (; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            // With 8 or more inputs the first tile over a panel also brings in the next one: the computation no longer
            // hides the memory stream on its own (the q8_0 kernel measured +35 % for 8 inputs). One or four inputs
            // stream fast enough for the hardware prefetcher alone.
            byte* next = n >= 8 && p + 1 < p1 ? wp + panelBytes : null;
            for (int i0 = 0; i0 < n; i0 += PackedInputs.Group, next = null)
            {
                // A group of m inputs: 12, 8, 4 and 1 at a time.
                int m = Math.Min(PackedInputs.Group, n - i0), i = 0;
                float* xg = packed + i0 * 2 * pairs;
                float* yg = y + (nint)i0 * rows + r;
                nint xPair = 2 * m;
                if (m == 12) { Tile512<Count12>(wp, cols, xg, xPair, yg, rows, valid, next); continue; }
                if (i + 8 <= m) { Tile512<Count8>(wp, cols, xg, xPair, yg, rows, valid, next); i += 8; }
                if (i + 4 <= m) { Tile512<Count4>(wp, cols, xg + 2 * i, xPair, yg + (nint)i * rows, rows, valid, null); i += 4; }
                for (; i < m; i++) Tile512<Count1>(wp, cols, xg + 2 * i, xPair, yg + (nint)i * rows, rows, valid, null);
            }
        }
    }

    /// <summary>One panel against 1–12 packed inputs: input t's column pair p at <c>x[p·xPair + 2t]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile512<TN>(byte* wp, int cols, float* x, nint xPair, float* y, int ldy, int valid, byte* prefetch) where TN : struct, ICount
    {
        const int k = 2;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        nint pairs = cols >> 1;
        const int pairBytes = 2 * Lanes * 2; // a column pair of a 16-bit dtype: one cache line (f32: two)
        for (nint p = 0; p < pairs; p++)
        {
            if (prefetch != null)
            {
                Sse.Prefetch0(prefetch + p * pairBytes * (TLoad.ElementBytes / 2));
                if (TLoad.ElementBytes == 4) Sse.Prefetch0(prefetch + p * pairBytes * 2 + 64);
            }
            TLoad.Load512(wp, p, out var even, out var odd);
            float* xc = x + p * xPair;
            a0 = Step(even, odd, xc, a0);
            if (TN.Value > 1) { a1 = Step(even, odd, xc + k, a1); a2 = Step(even, odd, xc + 2 * k, a2); a3 = Step(even, odd, xc + 3 * k, a3); }
            if (TN.Value > 4) { a4 = Step(even, odd, xc + 4 * k, a4); a5 = Step(even, odd, xc + 5 * k, a5); a6 = Step(even, odd, xc + 6 * k, a6); a7 = Step(even, odd, xc + 7 * k, a7); }
            if (TN.Value > 8) { a8 = Step(even, odd, xc + 8 * k, a8); a9 = Step(even, odd, xc + 9 * k, a9); a10 = Step(even, odd, xc + 10 * k, a10); a11 = Step(even, odd, xc + 11 * k, a11); }
        }
        if ((cols & 1) != 0)
        {
            // The last column of an odd count: its pair's second column is zero padding, and x has no element for it.
            TLoad.Load512(wp, pairs, out var last, out _);
            float* xc = x + pairs * xPair;
            a0 = Last(last, xc, a0);
            if (TN.Value > 1) { a1 = Last(last, xc + k, a1); a2 = Last(last, xc + 2 * k, a2); a3 = Last(last, xc + 3 * k, a3); }
            if (TN.Value > 4) { a4 = Last(last, xc + 4 * k, a4); a5 = Last(last, xc + 5 * k, a5); a6 = Last(last, xc + 6 * k, a6); a7 = Last(last, xc + 7 * k, a7); }
            if (TN.Value > 8) { a8 = Last(last, xc + 8 * k, a8); a9 = Last(last, xc + 9 * k, a9); a10 = Last(last, xc + 10 * k, a10); a11 = Last(last, xc + 11 * k, a11); }
        }
        PanelStore.Store(a0, y, valid);
        if (TN.Value > 1) { PanelStore.Store(a1, y + ldy, valid); PanelStore.Store(a2, y + 2 * ldy, valid); PanelStore.Store(a3, y + 3 * ldy, valid); }
        if (TN.Value > 4) { PanelStore.Store(a4, y + 4 * ldy, valid); PanelStore.Store(a5, y + 5 * ldy, valid); PanelStore.Store(a6, y + 6 * ldy, valid); PanelStore.Store(a7, y + 7 * ldy, valid); }
        if (TN.Value > 8) { PanelStore.Store(a8, y + 8 * ldy, valid); PanelStore.Store(a9, y + 9 * ldy, valid); PanelStore.Store(a10, y + 10 * ldy, valid); PanelStore.Store(a11, y + 11 * ldy, valid); }
    }

    /// <summary>Four whole panels against 1–3 inputs: one accumulator per (panel, input), the same chains as <see cref="Tile512{TN}"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // inlined, Panels512 grows past the locals the JIT keeps in registers
    private static void Tile512Panels4<TN>(byte* wp, nint panelBytes, int cols, float* x, float* y, int ldy) where TN : struct, ICount
    {
        const int k = 2;
        nint xPair = 2 * TN.Value;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default;
        Vector512<float> b2 = default, b3 = default, c0 = default, c1 = default, c2 = default, c3 = default;
        byte* w1 = wp + panelBytes, w2 = w1 + panelBytes, w3 = w2 + panelBytes;
        nint pairs = cols >> 1;
        for (nint p = 0; p < pairs; p++)
        {
            float* xc = x + p * xPair;
            TLoad.Load512(wp, p, out var e0, out var o0);
            TLoad.Load512(w1, p, out var e1, out var o1);
            TLoad.Load512(w2, p, out var e2, out var o2);
            TLoad.Load512(w3, p, out var e3, out var o3);
            a0 = Step(e0, o0, xc, a0); a1 = Step(e1, o1, xc, a1); a2 = Step(e2, o2, xc, a2); a3 = Step(e3, o3, xc, a3);
            if (TN.Value > 1) { b0 = Step(e0, o0, xc + k, b0); b1 = Step(e1, o1, xc + k, b1); b2 = Step(e2, o2, xc + k, b2); b3 = Step(e3, o3, xc + k, b3); }
            if (TN.Value > 2) { c0 = Step(e0, o0, xc + 2 * k, c0); c1 = Step(e1, o1, xc + 2 * k, c1); c2 = Step(e2, o2, xc + 2 * k, c2); c3 = Step(e3, o3, xc + 2 * k, c3); }
        }
        if ((cols & 1) != 0)
        {
            float* xc = x + pairs * xPair;
            TLoad.Load512(wp, pairs, out var l0, out _);
            TLoad.Load512(w1, pairs, out var l1, out _);
            TLoad.Load512(w2, pairs, out var l2, out _);
            TLoad.Load512(w3, pairs, out var l3, out _);
            a0 = Last(l0, xc, a0); a1 = Last(l1, xc, a1); a2 = Last(l2, xc, a2); a3 = Last(l3, xc, a3);
            if (TN.Value > 1) { b0 = Last(l0, xc + k, b0); b1 = Last(l1, xc + k, b1); b2 = Last(l2, xc + k, b2); b3 = Last(l3, xc + k, b3); }
            if (TN.Value > 2) { c0 = Last(l0, xc + 2 * k, c0); c1 = Last(l1, xc + 2 * k, c1); c2 = Last(l2, xc + 2 * k, c2); c3 = Last(l3, xc + 2 * k, c3); }
        }
        a0.Store(y); a1.Store(y + Lanes); a2.Store(y + 2 * Lanes); a3.Store(y + 3 * Lanes);
        if (TN.Value > 1) { y += ldy; b0.Store(y); b1.Store(y + Lanes); b2.Store(y + 2 * Lanes); b3.Store(y + 3 * Lanes); }
        if (TN.Value > 2) { y += ldy; c0.Store(y); c1.Store(y + Lanes); c2.Store(y + 2 * Lanes); c3.Store(y + 3 * Lanes); }
    }

    /// <summary>Columns c and c+1 of one input, in that order: <c>a + even·x[c] + odd·x[c+1]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Step(Vector512<float> even, Vector512<float> odd, float* xc, Vector512<float> a) =>
        Vector512.FusedMultiplyAdd(odd, Vector512.Create(xc[1]), Vector512.FusedMultiplyAdd(even, Vector512.Create(xc[0]), a));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Last(Vector512<float> column, float* xc, Vector512<float> a) =>
        Vector512.FusedMultiplyAdd(column, Vector512.Create(xc[0]), a);


    // ---------------------------------------------------------------- Vector256: two half-panel vectors per column

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Panels256(byte* w, int cols, float* x, float* y, int rows, int p0, int p1, int n)
    {
        nint panelBytes = PanelBytes(cols);
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            int i = 0;
            for (; i + 4 <= n; i += 4) Tile256<Count4>(wp, cols, x + (nint)i * cols, y + (nint)i * rows + r, rows, valid);
            for (; i < n; i++) Tile256<Count1>(wp, cols, x + (nint)i * cols, y + (nint)i * rows + r, rows, valid);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile256<TN>(byte* wp, int cols, float* x, float* y, int ldy, int valid) where TN : struct, ICount
    {
        nint k = cols;
        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default, h0 = default, h1 = default, h2 = default, h3 = default;
        nint pairs = cols >> 1;
        for (nint p = 0; p < pairs; p++)
        {
            TLoad.Load256(wp, p, 0, out var evenLo, out var oddLo);
            TLoad.Load256(wp, p, 1, out var evenHi, out var oddHi);
            float* xc = x + 2 * p;
            l0 = Step(evenLo, oddLo, xc, l0); h0 = Step(evenHi, oddHi, xc, h0);
            if (TN.Value > 1)
            {
                l1 = Step(evenLo, oddLo, xc + k, l1); h1 = Step(evenHi, oddHi, xc + k, h1);
                l2 = Step(evenLo, oddLo, xc + 2 * k, l2); h2 = Step(evenHi, oddHi, xc + 2 * k, h2);
                l3 = Step(evenLo, oddLo, xc + 3 * k, l3); h3 = Step(evenHi, oddHi, xc + 3 * k, h3);
            }
        }
        if ((cols & 1) != 0)
        {
            TLoad.Load256(wp, pairs, 0, out var lastLo, out _);
            TLoad.Load256(wp, pairs, 1, out var lastHi, out _);
            float* xc = x + cols - 1;
            l0 = Last(lastLo, xc, l0); h0 = Last(lastHi, xc, h0);
            if (TN.Value > 1)
            {
                l1 = Last(lastLo, xc + k, l1); h1 = Last(lastHi, xc + k, h1);
                l2 = Last(lastLo, xc + 2 * k, l2); h2 = Last(lastHi, xc + 2 * k, h2);
                l3 = Last(lastLo, xc + 3 * k, l3); h3 = Last(lastHi, xc + 3 * k, h3);
            }
        }
        PanelStore.Store(l0, h0, y, valid);
        if (TN.Value > 1) { PanelStore.Store(l1, h1, y + ldy, valid); PanelStore.Store(l2, h2, y + 2 * ldy, valid); PanelStore.Store(l3, h3, y + 3 * ldy, valid); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> even, Vector256<float> odd, float* xc, Vector256<float> a) =>
        Vector256.FusedMultiplyAdd(odd, Vector256.Create(xc[1]), Vector256.FusedMultiplyAdd(even, Vector256.Create(xc[0]), a));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Last(Vector256<float> column, float* xc, Vector256<float> a) =>
        Vector256.FusedMultiplyAdd(column, Vector256.Create(xc[0]), a);


    // ---------------------------------------------------------------- scalar reference (same chains, lane by lane)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void PanelsScalar(byte* w, int cols, float* x, float* y, int rows, int p0, int p1, int n)
    {
        nint panelBytes = PanelBytes(cols);
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
                    for (nint c = 0; c < cols; c++) sum = MathF.FusedMultiplyAdd(TLoad.LoadScalar(wp, j, c), xi[c], sum);
                    y[(nint)i * rows + r + j] = sum;
                }
            }
        }
    }
}
