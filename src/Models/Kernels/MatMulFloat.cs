using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// <c>y[i, r] = Σ_c W[r, c] · x[i, c]</c> for weights stored as f32/bf16/f16 (<typeparamref name="TLoad"/>
/// converts in registers), over a range of output rows.
/// <para>
/// Prefill (n ≥ 16, compute-bound): register tiles of 4 rows × 4 inputs, so each weight vector loaded
/// is used for 4 inputs and each input vector for 4 rows; inputs are the outer loop and rows of the chunk
/// the inner one, so a chunk of weight rows stays in L1/L2 while every input passes over it.
/// Decode (n &lt; 16, bandwidth-bound): one row at a time against up to 4 inputs, so memory sees one
/// sequential stream and each row once.
/// </para>
/// <para>
/// Every (row, input) pair is computed the same way whatever the tile, n or thread split: one vector
/// accumulator, columns in order, the tail as one overlapping last vector whose already-counted lanes
/// are masked off, then one horizontal sum. So batching sequences never changes a result bit.
/// </para>
/// </summary>
[SkipLocalsInit]
internal static unsafe class MatMulFloat<TLoad> where TLoad : struct, IRowLoader
{
    /// <summary>From this many inputs on, 4-row tiles (compute-bound prefill); below, one row at a time (bandwidth-bound decode).</summary>
    internal const int RowTileMinInputs = 16;

    /// <summary>Rows [r0, r1) of y (row stride <paramref name="ldy"/> floats) for inputs [0, n).</summary>
    public static void Rows(KernelVariant variant, byte* w, int cols, float* x, float* y, int ldy, int r0, int r1, int n)
    {
        switch (variant)
        {
            case KernelVariant.V512 when cols >= 16: Rows512(w, cols, x, y, ldy, r0, r1, n); break;
            case KernelVariant.V512 or KernelVariant.V256 when cols >= 8: Rows256(w, cols, x, y, ldy, r0, r1, n); break;
            default: RowsScalar(w, cols, x, y, ldy, r0, r1, n); break;
        }
    }

    // ---------------------------------------------------------------- Vector512

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Rows512(byte* w, int cols, float* x, float* y, int ldy, int r0, int r1, int n)
    {
        nint stride = (nint)cols * TLoad.ElementBytes;
        nint full = cols & ~15;
        int rem = cols - (int)full;
        // Tail: the last 16 columns [cols-16, cols), lanes < 16-rem were already summed.
        var tailMask = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(16 - rem)).AsSingle();
        if (n < RowTileMinInputs)
        {
            // Decode: one row at a time, so the weights are read as one sequential stream (about 1.4× the
            // bandwidth of 4 interleaved row streams on this machine), each row used for every input.
            for (int r = r0; r < r1; r++)
            {
                byte* wr = w + r * stride;
                int k = 0;
                for (; k + 4 <= n; k += 4)
                    Tile1x4_512(wr, x + (nint)k * cols, cols, full, rem, tailMask, y + (nint)k * ldy + r, ldy);
                for (; k < n; k++)
                    y[(nint)k * ldy + r] = Dot512(wr, x + (nint)k * cols, cols, full, rem, tailMask);
            }
            return;
        }
        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            int r = r0;
            for (; r + 4 <= r1; r += 4)
                Tile4x4_512(w + r * stride, stride, x + (nint)i * cols, cols, full, rem, tailMask, y + (nint)i * ldy + r, ldy);
            for (; r < r1; r++)
                for (int k = 0; k < 4; k++)
                    y[(nint)(i + k) * ldy + r] = Dot512(w + r * stride, x + (nint)(i + k) * cols, cols, full, rem, tailMask);
        }
        for (; i < n; i++)
        {
            int r = r0;
            for (; r + 4 <= r1; r += 4)
                Tile4x1_512(w + r * stride, stride, x + (nint)i * cols, cols, full, rem, tailMask, y + (nint)i * ldy + r);
            for (; r < r1; r++)
                y[(nint)i * ldy + r] = Dot512(w + r * stride, x + (nint)i * cols, cols, full, rem, tailMask);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x4_512(byte* w0, nint stride, float* x0, int cols, nint full, int rem, Vector512<float> tailMask, float* y, int ldy)
    {
        byte* w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        float* x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default; // aRI: row R, input I
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (nint c = 0; c < full; c += 16)
        {
            var v0 = TLoad.Load512(w0, c); var v1 = TLoad.Load512(w1, c);
            var v2 = TLoad.Load512(w2, c); var v3 = TLoad.Load512(w3, c);
            var xv = Vector512.Load(x0 + c);
            a00 = Vector512.FusedMultiplyAdd(v0, xv, a00); a10 = Vector512.FusedMultiplyAdd(v1, xv, a10);
            a20 = Vector512.FusedMultiplyAdd(v2, xv, a20); a30 = Vector512.FusedMultiplyAdd(v3, xv, a30);
            xv = Vector512.Load(x1 + c);
            a01 = Vector512.FusedMultiplyAdd(v0, xv, a01); a11 = Vector512.FusedMultiplyAdd(v1, xv, a11);
            a21 = Vector512.FusedMultiplyAdd(v2, xv, a21); a31 = Vector512.FusedMultiplyAdd(v3, xv, a31);
            xv = Vector512.Load(x2 + c);
            a02 = Vector512.FusedMultiplyAdd(v0, xv, a02); a12 = Vector512.FusedMultiplyAdd(v1, xv, a12);
            a22 = Vector512.FusedMultiplyAdd(v2, xv, a22); a32 = Vector512.FusedMultiplyAdd(v3, xv, a32);
            xv = Vector512.Load(x3 + c);
            a03 = Vector512.FusedMultiplyAdd(v0, xv, a03); a13 = Vector512.FusedMultiplyAdd(v1, xv, a13);
            a23 = Vector512.FusedMultiplyAdd(v2, xv, a23); a33 = Vector512.FusedMultiplyAdd(v3, xv, a33);
        }
        if (rem != 0)
        {
            nint c = cols - 16;
            var v0 = TLoad.Load512(w0, c); var v1 = TLoad.Load512(w1, c);
            var v2 = TLoad.Load512(w2, c); var v3 = TLoad.Load512(w3, c);
            var xv = Vector512.Load(x0 + c);
            a00 = Tail512(v0, xv, a00, tailMask); a10 = Tail512(v1, xv, a10, tailMask);
            a20 = Tail512(v2, xv, a20, tailMask); a30 = Tail512(v3, xv, a30, tailMask);
            xv = Vector512.Load(x1 + c);
            a01 = Tail512(v0, xv, a01, tailMask); a11 = Tail512(v1, xv, a11, tailMask);
            a21 = Tail512(v2, xv, a21, tailMask); a31 = Tail512(v3, xv, a31, tailMask);
            xv = Vector512.Load(x2 + c);
            a02 = Tail512(v0, xv, a02, tailMask); a12 = Tail512(v1, xv, a12, tailMask);
            a22 = Tail512(v2, xv, a22, tailMask); a32 = Tail512(v3, xv, a32, tailMask);
            xv = Vector512.Load(x3 + c);
            a03 = Tail512(v0, xv, a03, tailMask); a13 = Tail512(v1, xv, a13, tailMask);
            a23 = Tail512(v2, xv, a23, tailMask); a33 = Tail512(v3, xv, a33, tailMask);
        }
        y[0] = Vector512.Sum(a00); y[1] = Vector512.Sum(a10); y[2] = Vector512.Sum(a20); y[3] = Vector512.Sum(a30);
        y += ldy;
        y[0] = Vector512.Sum(a01); y[1] = Vector512.Sum(a11); y[2] = Vector512.Sum(a21); y[3] = Vector512.Sum(a31);
        y += ldy;
        y[0] = Vector512.Sum(a02); y[1] = Vector512.Sum(a12); y[2] = Vector512.Sum(a22); y[3] = Vector512.Sum(a32);
        y += ldy;
        y[0] = Vector512.Sum(a03); y[1] = Vector512.Sum(a13); y[2] = Vector512.Sum(a23); y[3] = Vector512.Sum(a33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x1_512(byte* w0, nint stride, float* x0, int cols, nint full, int rem, Vector512<float> tailMask, float* y)
    {
        byte* w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (nint c = 0; c < full; c += 16)
        {
            var xv = Vector512.Load(x0 + c);
            a0 = Vector512.FusedMultiplyAdd(TLoad.Load512(w0, c), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(TLoad.Load512(w1, c), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(TLoad.Load512(w2, c), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(TLoad.Load512(w3, c), xv, a3);
        }
        if (rem != 0)
        {
            nint c = cols - 16;
            var xv = Vector512.Load(x0 + c);
            a0 = Tail512(TLoad.Load512(w0, c), xv, a0, tailMask);
            a1 = Tail512(TLoad.Load512(w1, c), xv, a1, tailMask);
            a2 = Tail512(TLoad.Load512(w2, c), xv, a2, tailMask);
            a3 = Tail512(TLoad.Load512(w3, c), xv, a3, tailMask);
        }
        y[0] = Vector512.Sum(a0); y[1] = Vector512.Sum(a1); y[2] = Vector512.Sum(a2); y[3] = Vector512.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1x4_512(byte* w, float* x0, int cols, nint full, int rem, Vector512<float> tailMask, float* y, int ldy)
    {
        float* x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (nint c = 0; c < full; c += 16)
        {
            var v = TLoad.Load512(w, c);
            a0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x0 + c), a0);
            a1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x1 + c), a1);
            a2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x2 + c), a2);
            a3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x3 + c), a3);
        }
        if (rem != 0)
        {
            nint c = cols - 16;
            var v = TLoad.Load512(w, c);
            a0 = Tail512(v, Vector512.Load(x0 + c), a0, tailMask);
            a1 = Tail512(v, Vector512.Load(x1 + c), a1, tailMask);
            a2 = Tail512(v, Vector512.Load(x2 + c), a2, tailMask);
            a3 = Tail512(v, Vector512.Load(x3 + c), a3, tailMask);
        }
        y[0] = Vector512.Sum(a0); y[ldy] = Vector512.Sum(a1); y[2 * ldy] = Vector512.Sum(a2); y[3 * ldy] = Vector512.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot512(byte* w, float* x, int cols, nint full, int rem, Vector512<float> tailMask)
    {
        Vector512<float> a = default;
        for (nint c = 0; c < full; c += 16)
            a = Vector512.FusedMultiplyAdd(TLoad.Load512(w, c), Vector512.Load(x + c), a);
        if (rem != 0)
            a = Tail512(TLoad.Load512(w, cols - 16), Vector512.Load(x + cols - 16), a, tailMask);
        return Vector512.Sum(a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tail512(Vector512<float> w, Vector512<float> x, Vector512<float> acc, Vector512<float> mask) =>
        Vector512.ConditionalSelect(mask, Vector512.FusedMultiplyAdd(w, x, acc), acc);

    // ---------------------------------------------------------------- Vector256 (same shape, 8 lanes)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Rows256(byte* w, int cols, float* x, float* y, int ldy, int r0, int r1, int n)
    {
        nint stride = (nint)cols * TLoad.ElementBytes;
        nint full = cols & ~7;
        int rem = cols - (int)full;
        var tailMask = Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(8 - rem)).AsSingle();
        if (n < RowTileMinInputs)
        {
            // Decode: one row at a time, so the weights are read as one sequential stream (about 1.4× the
            // bandwidth of 4 interleaved row streams on this machine), each row used for every input.
            for (int r = r0; r < r1; r++)
            {
                byte* wr = w + r * stride;
                int k = 0;
                for (; k + 4 <= n; k += 4)
                    Tile1x4_256(wr, x + (nint)k * cols, cols, full, rem, tailMask, y + (nint)k * ldy + r, ldy);
                for (; k < n; k++)
                    y[(nint)k * ldy + r] = Dot256(wr, x + (nint)k * cols, cols, full, rem, tailMask);
            }
            return;
        }
        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            int r = r0;
            for (; r + 4 <= r1; r += 4)
                Tile4x4_256(w + r * stride, stride, x + (nint)i * cols, cols, full, rem, tailMask, y + (nint)i * ldy + r, ldy);
            for (; r < r1; r++)
                for (int k = 0; k < 4; k++)
                    y[(nint)(i + k) * ldy + r] = Dot256(w + r * stride, x + (nint)(i + k) * cols, cols, full, rem, tailMask);
        }
        for (; i < n; i++)
        {
            int r = r0;
            for (; r + 4 <= r1; r += 4)
                Tile4x1_256(w + r * stride, stride, x + (nint)i * cols, cols, full, rem, tailMask, y + (nint)i * ldy + r);
            for (; r < r1; r++)
                y[(nint)i * ldy + r] = Dot256(w + r * stride, x + (nint)i * cols, cols, full, rem, tailMask);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x4_256(byte* w0, nint stride, float* x0, int cols, nint full, int rem, Vector256<float> tailMask, float* y, int ldy)
    {
        byte* w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        float* x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (nint c = 0; c < full; c += 8)
        {
            var v0 = TLoad.Load256(w0, c); var v1 = TLoad.Load256(w1, c);
            var v2 = TLoad.Load256(w2, c); var v3 = TLoad.Load256(w3, c);
            var xv = Vector256.Load(x0 + c);
            a00 = Vector256.FusedMultiplyAdd(v0, xv, a00); a10 = Vector256.FusedMultiplyAdd(v1, xv, a10);
            a20 = Vector256.FusedMultiplyAdd(v2, xv, a20); a30 = Vector256.FusedMultiplyAdd(v3, xv, a30);
            xv = Vector256.Load(x1 + c);
            a01 = Vector256.FusedMultiplyAdd(v0, xv, a01); a11 = Vector256.FusedMultiplyAdd(v1, xv, a11);
            a21 = Vector256.FusedMultiplyAdd(v2, xv, a21); a31 = Vector256.FusedMultiplyAdd(v3, xv, a31);
            xv = Vector256.Load(x2 + c);
            a02 = Vector256.FusedMultiplyAdd(v0, xv, a02); a12 = Vector256.FusedMultiplyAdd(v1, xv, a12);
            a22 = Vector256.FusedMultiplyAdd(v2, xv, a22); a32 = Vector256.FusedMultiplyAdd(v3, xv, a32);
            xv = Vector256.Load(x3 + c);
            a03 = Vector256.FusedMultiplyAdd(v0, xv, a03); a13 = Vector256.FusedMultiplyAdd(v1, xv, a13);
            a23 = Vector256.FusedMultiplyAdd(v2, xv, a23); a33 = Vector256.FusedMultiplyAdd(v3, xv, a33);
        }
        if (rem != 0)
        {
            nint c = cols - 8;
            var v0 = TLoad.Load256(w0, c); var v1 = TLoad.Load256(w1, c);
            var v2 = TLoad.Load256(w2, c); var v3 = TLoad.Load256(w3, c);
            var xv = Vector256.Load(x0 + c);
            a00 = Tail256(v0, xv, a00, tailMask); a10 = Tail256(v1, xv, a10, tailMask);
            a20 = Tail256(v2, xv, a20, tailMask); a30 = Tail256(v3, xv, a30, tailMask);
            xv = Vector256.Load(x1 + c);
            a01 = Tail256(v0, xv, a01, tailMask); a11 = Tail256(v1, xv, a11, tailMask);
            a21 = Tail256(v2, xv, a21, tailMask); a31 = Tail256(v3, xv, a31, tailMask);
            xv = Vector256.Load(x2 + c);
            a02 = Tail256(v0, xv, a02, tailMask); a12 = Tail256(v1, xv, a12, tailMask);
            a22 = Tail256(v2, xv, a22, tailMask); a32 = Tail256(v3, xv, a32, tailMask);
            xv = Vector256.Load(x3 + c);
            a03 = Tail256(v0, xv, a03, tailMask); a13 = Tail256(v1, xv, a13, tailMask);
            a23 = Tail256(v2, xv, a23, tailMask); a33 = Tail256(v3, xv, a33, tailMask);
        }
        y[0] = Vector256.Sum(a00); y[1] = Vector256.Sum(a10); y[2] = Vector256.Sum(a20); y[3] = Vector256.Sum(a30);
        y += ldy;
        y[0] = Vector256.Sum(a01); y[1] = Vector256.Sum(a11); y[2] = Vector256.Sum(a21); y[3] = Vector256.Sum(a31);
        y += ldy;
        y[0] = Vector256.Sum(a02); y[1] = Vector256.Sum(a12); y[2] = Vector256.Sum(a22); y[3] = Vector256.Sum(a32);
        y += ldy;
        y[0] = Vector256.Sum(a03); y[1] = Vector256.Sum(a13); y[2] = Vector256.Sum(a23); y[3] = Vector256.Sum(a33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x1_256(byte* w0, nint stride, float* x0, int cols, nint full, int rem, Vector256<float> tailMask, float* y)
    {
        byte* w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (nint c = 0; c < full; c += 8)
        {
            var xv = Vector256.Load(x0 + c);
            a0 = Vector256.FusedMultiplyAdd(TLoad.Load256(w0, c), xv, a0);
            a1 = Vector256.FusedMultiplyAdd(TLoad.Load256(w1, c), xv, a1);
            a2 = Vector256.FusedMultiplyAdd(TLoad.Load256(w2, c), xv, a2);
            a3 = Vector256.FusedMultiplyAdd(TLoad.Load256(w3, c), xv, a3);
        }
        if (rem != 0)
        {
            nint c = cols - 8;
            var xv = Vector256.Load(x0 + c);
            a0 = Tail256(TLoad.Load256(w0, c), xv, a0, tailMask);
            a1 = Tail256(TLoad.Load256(w1, c), xv, a1, tailMask);
            a2 = Tail256(TLoad.Load256(w2, c), xv, a2, tailMask);
            a3 = Tail256(TLoad.Load256(w3, c), xv, a3, tailMask);
        }
        y[0] = Vector256.Sum(a0); y[1] = Vector256.Sum(a1); y[2] = Vector256.Sum(a2); y[3] = Vector256.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1x4_256(byte* w, float* x0, int cols, nint full, int rem, Vector256<float> tailMask, float* y, int ldy)
    {
        float* x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (nint c = 0; c < full; c += 8)
        {
            var v = TLoad.Load256(w, c);
            a0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(x0 + c), a0);
            a1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(x1 + c), a1);
            a2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(x2 + c), a2);
            a3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(x3 + c), a3);
        }
        if (rem != 0)
        {
            nint c = cols - 8;
            var v = TLoad.Load256(w, c);
            a0 = Tail256(v, Vector256.Load(x0 + c), a0, tailMask);
            a1 = Tail256(v, Vector256.Load(x1 + c), a1, tailMask);
            a2 = Tail256(v, Vector256.Load(x2 + c), a2, tailMask);
            a3 = Tail256(v, Vector256.Load(x3 + c), a3, tailMask);
        }
        y[0] = Vector256.Sum(a0); y[ldy] = Vector256.Sum(a1); y[2 * ldy] = Vector256.Sum(a2); y[3 * ldy] = Vector256.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot256(byte* w, float* x, int cols, nint full, int rem, Vector256<float> tailMask)
    {
        Vector256<float> a = default;
        for (nint c = 0; c < full; c += 8)
            a = Vector256.FusedMultiplyAdd(TLoad.Load256(w, c), Vector256.Load(x + c), a);
        if (rem != 0)
            a = Tail256(TLoad.Load256(w, cols - 8), Vector256.Load(x + cols - 8), a, tailMask);
        return Vector256.Sum(a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tail256(Vector256<float> w, Vector256<float> x, Vector256<float> acc, Vector256<float> mask) =>
        Vector256.ConditionalSelect(mask, Vector256.FusedMultiplyAdd(w, x, acc), acc);

    // ---------------------------------------------------------------- scalar reference

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void RowsScalar(byte* w, int cols, float* x, float* y, int ldy, int r0, int r1, int n)
    {
        nint stride = (nint)cols * TLoad.ElementBytes;
        for (int i = 0; i < n; i++)
        {
            float* xi = x + (nint)i * cols;
            for (int r = r0; r < r1; r++)
            {
                byte* row = w + r * stride;
                float sum = 0;
                for (nint c = 0; c < cols; c++) sum = MathF.FusedMultiplyAdd(TLoad.LoadScalar(row, c), xi[c], sum);
                y[(nint)i * ldy + r] = sum;
            }
        }
    }
}
