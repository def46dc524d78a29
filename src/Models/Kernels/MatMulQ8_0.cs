using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SteerServer.Models.Kernels;

/// <summary>
/// <c>y[i, r] = Σ_blocks float(Σ_j qW[r,b,j] · qX[i,b,j]) · (dW[r,b] · dX[i,b])</c>: q8_0 weights packed in panels of 16 rows
/// (<see cref="WeightMatrix"/>) against activations quantised per call (<see cref="Quantize.RowQ8_0To16"/>: int8 values
/// held in int16), the int products summed exactly in int32.
/// <para>
/// No AVX-512 VNNI intrinsic is exposed by .NET 10, so one step is: sign-extend the 32 int8 weights of a column pair
/// (16 rows × 2 columns) to int16 (<c>vpmovsxbw</c>), <c>vpmaddwd</c> with the broadcast int16 pair of the input
/// (lane j = row j's two products summed, in int32), add to the block's int32 accumulator. After 16 pairs (one block
/// of 32 columns) the accumulator is converted and scaled into the f32 sum with one FMA. Lane j is output row j: no
/// horizontal sums, and a panel is one sequential stream (decode reads it once). In batched decode and prefill the
/// sign-extended weight vector feeds 4–12 inputs.
/// </para>
/// <para>
/// Every (row, input) is the same exact int32 block sum and the same FMA chain over the blocks in order, in every
/// tile, width and thread split: batching never changes a bit, and the Vector512, Vector256 and scalar paths agree exactly.
/// </para>
/// </summary>
[SkipLocalsInit]
internal static unsafe class MatMulQ8_0
{
    private const int Lanes = WeightMatrix.PanelRows;
    private const int Block = Quantize.BlockSize;

    /// <summary>
    /// Bytes of one block of a panel: 16 column pairs of 16 rows × 2 int8, then the 16 rows' scales in bf16 (34 bytes per
    /// 32 weights, as llama.cpp's f16 scales; bf16 widens with one shift). The weights were quantised with the rounded scale.
    /// </summary>
    public const int BlockBytes = Lanes * Block + Lanes * sizeof(ushort);

    /// <summary>Offset of element (row j of the panel, column c) inside its panel.</summary>
    public static nint Offset(int j, int c) => (nint)(c / Block) * BlockBytes + (c % Block / 2) * 2 * Lanes + 2 * j + (c & 1);

    /// <summary>Offset of the scale of panel row j, block b.</summary>
    public static nint ScaleOffset(int j, int b) => (nint)b * BlockBytes + Lanes * Block + j * sizeof(ushort);

    /// <summary>Quantises one weight row (<see cref="Quantize.BlockQ8_0Bf16"/>) into lane <paramref name="lane"/> of its panel.</summary>
    public static void PackRow(float* row, int cols, byte* panel, int lane)
    {
        sbyte* q = stackalloc sbyte[Block];
        for (int b = 0; b < cols / Block; b++)
        {
            byte* wb = panel + (nint)b * BlockBytes;
            *(ushort*)(wb + Lanes * Block + lane * sizeof(ushort)) = Quantize.BlockQ8_0Bf16(row + b * Block, q, KernelDispatch.BestVariant);
            for (int p = 0; p < Block / 2; p++) *(ushort*)(wb + p * 2 * Lanes + 2 * lane) = ((ushort*)q)[p]; // column pair p of the row
        }
    }

    /// <summary>Panels [p0, p1) of y <c>[n, rows]</c>.</summary>
    /// <param name="w">Packed weights.</param>
    /// <param name="xq">Activations [n, cols], int8 values as int16.</param>
    /// <param name="xd">Activation scales [n, cols/32].</param>
    /// <param name="packed">The activations laid out by <see cref="PackedInputs.PackQ8"/> (only Vector512 reads them; for one input, null).</param>
    public static void Panels(KernelVariant variant, byte* w, int cols, short* xq, short* packed, float* xd, float* y, int rows, int p0, int p1, int n)
    {
        if (variant == KernelVariant.V512 && Avx512BW.IsSupported) Panels512(w, cols, n == 1 ? xq : packed, xd, y, rows, p0, p1, n);
        else if (variant is KernelVariant.V512 or KernelVariant.V256 && Avx2.IsSupported) Panels256(w, cols, xq, xd, y, rows, p0, p1, n);
        else PanelsScalar(w, cols, xq, xd, y, rows, p0, p1, n);
    }

    // ---------------------------------------------------------------- Vector512 (AVX-512BW)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Panels512(byte* w, int cols, short* packed, float* xd, float* y, int rows, int p0, int p1, int n)
    {
        int blocks = cols / Block;
        nint panelBytes = (nint)blocks * BlockBytes;
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            // A tile per group of packed inputs: twelve, then the rest (2 … 11 inputs share each sign-extended weight
            // vector). With 5 or more inputs the first tile over a panel brings the next panel in (measured from memory:
            // +35 % for 8 inputs, +5 % for 6; the hardware prefetcher alone keeps up with 1–4 inputs, and 1 and 4 lose by it).
            bool prefetch = n >= 5;
            int i = 0;
            for (; i + 12 <= n; i += 12, prefetch = false)
                Tile512<Count12>(wp, blocks, packed + (nint)i * cols, xd + (nint)i * blocks, y + (nint)i * rows + r, rows, valid, prefetch);
            short* xi = packed + (nint)i * cols;
            float* di = xd + (nint)i * blocks;
            float* yi = y + (nint)i * rows + r;
            switch (n - i)
            {
                case 0: break;
                case 1: PanelStore.Store(Tile1_512(wp, blocks, xi, di), yi, valid); break;
                case 2: Tile512<Count2>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                case 3: Tile512<Count3>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                case 4: Tile512<Count4>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                case 5: Tile512<Count5>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                case 6: Tile512<Count6>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                case 7: Tile512<Count7>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                case 8: Tile512<Count8>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                case 9: Tile512<Count9>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                case 10: Tile512<Count10>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
                default: Tile512<Count11>(wp, blocks, xi, di, yi, rows, valid, prefetch); break;
            }
        }
    }

    /// <summary>Sign-extended weights of column pair <paramref name="q"/> of a block: lane j holds row j's two int16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> W512(byte* wb, int q) => Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)wb + q * 2 * Lanes));

    /// <summary>acc + Σ per lane of the lane's two int16 products with the input pair <c>x[2q], x[2q + 1]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Madd(Vector512<short> w, int* x, int q) => Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(x[q]).AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tile1_512(byte* wp, int blocks, short* xq, float* xd)
    {
        Vector512<float> f = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = wp + (nint)b * BlockBytes;
            int* x = (int*)(xq + (nint)b * Block);
            // Two chains of 8 so the adds do not serialise on one register.
            var a = Madd(W512(wb, 0), x, 0);
            var c = Madd(W512(wb, 1), x, 1);
            a += Madd(W512(wb, 2), x, 2); c += Madd(W512(wb, 3), x, 3);
            a += Madd(W512(wb, 4), x, 4); c += Madd(W512(wb, 5), x, 5);
            a += Madd(W512(wb, 6), x, 6); c += Madd(W512(wb, 7), x, 7);
            a += Madd(W512(wb, 8), x, 8); c += Madd(W512(wb, 9), x, 9);
            a += Madd(W512(wb, 10), x, 10); c += Madd(W512(wb, 11), x, 11);
            a += Madd(W512(wb, 12), x, 12); c += Madd(W512(wb, 13), x, 13);
            a += Madd(W512(wb, 14), x, 14); c += Madd(W512(wb, 15), x, 15);
            var s = Scales512(wb) * Vector512.Create(xd[b]);
            f = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a + c), s, f);
        }
        return f;
    }

    /// <summary>
    /// One panel against a group of <typeparamref name="T"/> packed inputs (2 … 12; column pair q of block b, input t at
    /// int <c>(16b + q)·T + t</c>): each sign-extended weight vector feeds every input; one int32 and one f32
    /// accumulator per input (the unused ones are compiled away).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // a generic method is not inlined into Panels512 anyway: compile it fully at once, not through the tiers
    private static void Tile512<T>(byte* wp, int blocks, short* xq, float* xd, float* y, int ldy, int valid, bool prefetch) where T : struct, ICount
    {
        int m = T.Value;
        Vector512<float> f0 = default, f1 = default, f2 = default, f3 = default, f4 = default, f5 = default;
        Vector512<float> f6 = default, f7 = default, f8 = default, f9 = default, f10 = default, f11 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = wp + (nint)b * BlockBytes;
            if (prefetch) PrefetchBlock(wb + (nint)blocks * BlockBytes);
            int* x = (int*)xq + (nint)b * (Block / 2) * m;
            Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
            Vector512<int> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
            for (int q = 0; q < Block / 2; q++, x += m)
            {
                var w = W512(wb, q);
                a0 += Madd(w, x, 0); a1 += Madd(w, x, 1);
                if (m > 2) a2 += Madd(w, x, 2);
                if (m > 3) a3 += Madd(w, x, 3);
                if (m > 4) a4 += Madd(w, x, 4);
                if (m > 5) a5 += Madd(w, x, 5);
                if (m > 6) a6 += Madd(w, x, 6);
                if (m > 7) a7 += Madd(w, x, 7);
                if (m > 8) a8 += Madd(w, x, 8);
                if (m > 9) a9 += Madd(w, x, 9);
                if (m > 10) a10 += Madd(w, x, 10);
                if (m > 11) a11 += Madd(w, x, 11);
            }
            var dw = Scales512(wb);
            float* d = xd + b;
            f0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a0), dw * Vector512.Create(d[0]), f0);
            f1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a1), dw * Vector512.Create(d[blocks]), f1);
            if (m > 2) f2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a2), dw * Vector512.Create(d[2 * blocks]), f2);
            if (m > 3) f3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a3), dw * Vector512.Create(d[3 * blocks]), f3);
            if (m > 4) f4 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a4), dw * Vector512.Create(d[4 * blocks]), f4);
            if (m > 5) f5 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a5), dw * Vector512.Create(d[5 * blocks]), f5);
            if (m > 6) f6 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a6), dw * Vector512.Create(d[6 * blocks]), f6);
            if (m > 7) f7 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a7), dw * Vector512.Create(d[7 * blocks]), f7);
            if (m > 8) f8 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a8), dw * Vector512.Create(d[8 * blocks]), f8);
            if (m > 9) f9 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a9), dw * Vector512.Create(d[9 * blocks]), f9);
            if (m > 10) f10 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a10), dw * Vector512.Create(d[10 * blocks]), f10);
            if (m > 11) f11 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a11), dw * Vector512.Create(d[11 * blocks]), f11);
        }
        PanelStore.Store(f0, y, valid); PanelStore.Store(f1, y + ldy, valid);
        if (m > 2) PanelStore.Store(f2, y + 2 * ldy, valid);
        if (m > 3) PanelStore.Store(f3, y + 3 * ldy, valid);
        if (m > 4) PanelStore.Store(f4, y + 4 * ldy, valid);
        if (m > 5) PanelStore.Store(f5, y + 5 * ldy, valid);
        if (m > 6) PanelStore.Store(f6, y + 6 * ldy, valid);
        if (m > 7) PanelStore.Store(f7, y + 7 * ldy, valid);
        if (m > 8) PanelStore.Store(f8, y + 8 * ldy, valid);
        if (m > 9) PanelStore.Store(f9, y + 9 * ldy, valid);
        if (m > 10) PanelStore.Store(f10, y + 10 * ldy, valid);
        if (m > 11) PanelStore.Store(f11, y + 11 * ldy, valid);
    }

    /// <summary>The 16 rows' scales of a block (bf16 → f32: widen and shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scales512(byte* wb) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load((ushort*)(wb + Lanes * Block)).ToVector512Unsafe()), 16).AsSingle();

    /// <summary>Asks for the cache lines of a block (the same block of the next panel: its stream is then in flight while this one computes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchBlock(byte* p)
    {
        for (int l = 0; l < BlockBytes; l += 64) Sse.Prefetch0(p + l);
    }


    // ---------------------------------------------------------------- Vector256 (AVX2): each step as two halves of 8 rows

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Panels256(byte* w, int cols, short* xq, float* xd, float* y, int rows, int p0, int p1, int n)
    {
        int blocks = cols / Block;
        nint panelBytes = (nint)blocks * BlockBytes;
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            int i = 0;
            for (; i + 4 <= n; i += 4) Tile4_256(wp, blocks, xq + (nint)i * cols, xd + (nint)i * blocks, y + (nint)i * rows + r, rows, valid);
            for (; i < n; i++) Tile1_256(wp, blocks, xq + (nint)i * cols, xd + (nint)i * blocks, y + (nint)i * rows + r, valid);
        }
    }

    /// <summary>Sign-extended weights of rows 8h … 8h+7 of column pair <paramref name="q"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> W256(byte* wb, int q, int h) => Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)wb + q * 2 * Lanes + h * Lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Madd(Vector256<short> w, int* x, int q) => Avx2.MultiplyAddAdjacent(w, Vector256.Create(x[q]).AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1_256(byte* wp, int blocks, short* xq, float* xd, float* y, int valid)
    {
        Vector256<float> lo = default, hi = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = wp + (nint)b * BlockBytes;
            int* x = (int*)(xq + (nint)b * Block);
            var al = Madd(W256(wb, 0, 0), x, 0);
            var ah = Madd(W256(wb, 0, 1), x, 0);
            for (int q = 1; q < Block / 2; q++)
            {
                al += Madd(W256(wb, q, 0), x, q);
                ah += Madd(W256(wb, q, 1), x, q);
            }
            var dx = Vector256.Create(xd[b]);
            lo = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(al), Scales256(wb, 0) * dx, lo);
            hi = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(ah), Scales256(wb, 1) * dx, hi);
        }
        PanelStore.Store(lo, hi, y, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4_256(byte* wp, int blocks, short* xq, float* xd, float* y, int ldy, int valid)
    {
        nint k = blocks * Block / 2;
        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default, h0 = default, h1 = default, h2 = default, h3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = wp + (nint)b * BlockBytes;
            int* x = (int*)(xq + (nint)b * Block);
            Vector256<int> al0 = default, al1 = default, al2 = default, al3 = default, ah0 = default, ah1 = default, ah2 = default, ah3 = default;
            for (int q = 0; q < Block / 2; q++)
            {
                var wl = W256(wb, q, 0);
                var wh = W256(wb, q, 1);
                al0 += Madd(wl, x, q); ah0 += Madd(wh, x, q);
                al1 += Madd(wl, x + k, q); ah1 += Madd(wh, x + k, q);
                al2 += Madd(wl, x + 2 * k, q); ah2 += Madd(wh, x + 2 * k, q);
                al3 += Madd(wl, x + 3 * k, q); ah3 += Madd(wh, x + 3 * k, q);
            }
            var dl = Scales256(wb, 0);
            var dh = Scales256(wb, 1);
            float* d = xd + b;
            var dx = Vector256.Create(d[0]);
            l0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(al0), dl * dx, l0); h0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(ah0), dh * dx, h0);
            dx = Vector256.Create(d[blocks]);
            l1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(al1), dl * dx, l1); h1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(ah1), dh * dx, h1);
            dx = Vector256.Create(d[2 * blocks]);
            l2 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(al2), dl * dx, l2); h2 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(ah2), dh * dx, h2);
            dx = Vector256.Create(d[3 * blocks]);
            l3 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(al3), dl * dx, l3); h3 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(ah3), dh * dx, h3);
        }
        PanelStore.Store(l0, h0, y, valid); PanelStore.Store(l1, h1, y + ldy, valid); PanelStore.Store(l2, h2, y + 2 * ldy, valid); PanelStore.Store(l3, h3, y + 3 * ldy, valid);
    }

    /// <summary>Scales of rows 8h … 8h+7 of a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales256(byte* wb, int h) =>
        Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load((ushort*)(wb + Lanes * Block) + 8 * h).ToVector256Unsafe()), 16).AsSingle();


    // ---------------------------------------------------------------- scalar reference (same sums, lane by lane)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void PanelsScalar(byte* w, int cols, short* xq, float* xd, float* y, int rows, int p0, int p1, int n)
    {
        int blocks = cols / Block;
        nint panelBytes = (nint)blocks * BlockBytes;
        for (int p = p0; p < p1; p++)
        {
            byte* wp = w + p * panelBytes;
            int r = p * Lanes, valid = Math.Min(Lanes, rows - r);
            for (int i = 0; i < n; i++)
            {
                short* xi = xq + (nint)i * cols;
                float* di = xd + (nint)i * blocks;
                for (int j = 0; j < valid; j++)
                {
                    float sum = 0;
                    for (int b = 0; b < blocks; b++)
                    {
                        int isum = 0;
                        for (int c = b * Block; c < (b + 1) * Block; c++) isum += ((sbyte*)wp)[Offset(j, c)] * xi[c];
                        float dw = MatMulBf16.ToSingle(*(ushort*)(wp + ScaleOffset(j, b)));
                        sum = MathF.FusedMultiplyAdd(isum, dw * di[b], sum);
                    }
                    y[(nint)i * rows + r + j] = sum;
                }
            }
        }
    }
}
