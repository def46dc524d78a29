using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SteerServer.Models.Kernels;

/// <summary>
/// <c>y[i, r] = Σ_blocks dW[r,b] · dX[i,b] · Σ_j qW[r,b,j] · qX[i,b,j]</c>: q8_0 weights against q8_0-quantised
/// activations (<see cref="Quantize.RowQ8_0(float*, int, sbyte*, float*, KernelVariant)"/>), int8 products summed exactly in int32.
/// <para>
/// No AVX-512 VNNI intrinsic is exposed by .NET 10 (AvxVnni is the VEX form, missing on this CPU), so the
/// int8 dot product is llama.cpp's non-VNNI sequence: <c>vpmaddubsw(|w|, sign(w)·x)</c> (u8×s8 → s16 pairs, at most
/// 2·127·127, no saturation) then <c>vpmaddwd</c> with ones (→ s32). One 512-bit step covers two blocks; their two
/// scales are spread over the lower and upper 8 lanes with one permute. An odd last block takes the 256-bit step.
/// </para>
/// Each weight row is loaded once and used for every input (rows outer, inputs inner).
/// </summary>
[SkipLocalsInit]
internal static unsafe class MatMulQ8_0
{
    private const int Block = Quantize.BlockSize;

    /// <param name="wq">Weights [rows, cols] int8.</param>
    /// <param name="wd">Weight scales [rows, cols/32].</param>
    /// <param name="xq">Activations [n, cols] int8.</param>
    /// <param name="xd">Activation scales [n, cols/32] (+4 readable floats of padding).</param>
    public static void Rows(KernelVariant variant, sbyte* wq, float* wd, int cols, sbyte* xq, float* xd, float* y, int ldy, int r0, int r1, int n)
    {
        if (variant == KernelVariant.V512 && Avx512BW.IsSupported && Avx2.IsSupported) Rows512(wq, wd, cols, xq, xd, y, ldy, r0, r1, n);
        else if (variant is KernelVariant.V512 or KernelVariant.V256 && Avx2.IsSupported) Rows256(wq, wd, cols, xq, xd, y, ldy, r0, r1, n);
        else RowsScalar(wq, wd, cols, xq, xd, y, ldy, r0, r1, n);
    }

    // ---------------------------------------------------------------- Vector512 (AVX-512BW)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Rows512(sbyte* wq, float* wd, int cols, sbyte* xq, float* xd, float* y, int ldy, int r0, int r1, int n)
    {
        int blocks = cols / Block;
        int pairs = blocks / 2;
        bool odd = (blocks & 1) != 0;
        var spread = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        var ones = Vector512.Create((short)1);
        var ones256 = Vector256.Create((short)1);
        for (int r = r0; r < r1; r++)
        {
            sbyte* wRow = wq + (nint)r * cols;
            float* dRow = wd + (nint)r * blocks;
            int i = 0;
            for (; i + 2 <= n; i += 2)
            {
                // Two inputs per pass: the weight's |w| and sign mask are computed once for both.
                sbyte* x0 = xq + (nint)i * cols, x1 = x0 + cols;
                float* d0 = xd + (nint)i * blocks, d1 = d0 + blocks;
                Vector512<float> acc0 = default, acc1 = default;
                for (int p = 0; p < pairs; p++)
                {
                    nint c = (nint)p * 2 * Block;
                    var w = Vector512.Load(wRow + c);
                    var aw = Avx512BW.Abs(w);
                    var neg = Vector512.LessThan(w, Vector512<sbyte>.Zero);
                    var dw = Vector128.Load(dRow + p * 2);
                    acc0 = Step512(aw, neg, Vector512.Load(x0 + c), dw * Vector128.Load(d0 + p * 2), spread, ones, acc0);
                    acc1 = Step512(aw, neg, Vector512.Load(x1 + c), dw * Vector128.Load(d1 + p * 2), spread, ones, acc1);
                }
                float s0 = Vector512.Sum(acc0), s1 = Vector512.Sum(acc1);
                if (odd)
                {
                    nint c = (nint)(blocks - 1) * Block;
                    var w = Vector256.Load(wRow + c);
                    s0 += Block256(w, Vector256.Load(x0 + c), dRow[blocks - 1] * d0[blocks - 1], ones256);
                    s1 += Block256(w, Vector256.Load(x1 + c), dRow[blocks - 1] * d1[blocks - 1], ones256);
                }
                y[(nint)i * ldy + r] = s0;
                y[(nint)(i + 1) * ldy + r] = s1;
            }
            for (; i < n; i++)
            {
                sbyte* x0 = xq + (nint)i * cols;
                float* d0 = xd + (nint)i * blocks;
                Vector512<float> acc0 = default;
                for (int p = 0; p < pairs; p++)
                {
                    nint c = (nint)p * 2 * Block;
                    var w = Vector512.Load(wRow + c);
                    acc0 = Step512(Avx512BW.Abs(w), Vector512.LessThan(w, Vector512<sbyte>.Zero), Vector512.Load(x0 + c),
                        Vector128.Load(dRow + p * 2) * Vector128.Load(d0 + p * 2), spread, ones, acc0);
                }
                float s0 = Vector512.Sum(acc0);
                if (odd)
                {
                    nint c = (nint)(blocks - 1) * Block;
                    s0 += Block256(Vector256.Load(wRow + c), Vector256.Load(x0 + c), dRow[blocks - 1] * d0[blocks - 1], ones256);
                }
                y[(nint)i * ldy + r] = s0;
            }
        }
    }

    /// <summary>Two blocks: acc += float(Σ4 |w|·(sign(w)·x)) · (dw·dx of the lane's block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Step512(Vector512<byte> aw, Vector512<sbyte> neg, Vector512<sbyte> x, Vector128<float> scales,
        Vector512<int> spread, Vector512<short> ones, Vector512<float> acc)
    {
        var sx = Vector512.ConditionalSelect(neg, -x, x);
        var p16 = Avx512BW.MultiplyAddAdjacent(aw, sx);
        var p32 = Avx512BW.MultiplyAddAdjacent(p16, ones);
        var s = Avx512F.PermuteVar16x32(scales.ToVector256Unsafe().ToVector512Unsafe(), spread); // lanes 0–7: block 0, 8–15: block 1
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(p32), s, acc);
    }

    /// <summary>One block, summed to a scalar (the odd last block of the 512-bit path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Block256(Vector256<sbyte> w, Vector256<sbyte> x, float scale, Vector256<short> ones)
    {
        var p16 = Avx2.MultiplyAddAdjacent(Avx2.Abs(w), Avx2.Sign(x, w));
        var p32 = Avx2.MultiplyAddAdjacent(p16, ones);
        return Vector256.Sum(Vector256.ConvertToSingle(p32) * Vector256.Create(scale));
    }

    // ---------------------------------------------------------------- Vector256 (AVX2)

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void Rows256(sbyte* wq, float* wd, int cols, sbyte* xq, float* xd, float* y, int ldy, int r0, int r1, int n)
    {
        int blocks = cols / Block;
        var ones = Vector256.Create((short)1);
        for (int r = r0; r < r1; r++)
        {
            sbyte* wRow = wq + (nint)r * cols;
            float* dRow = wd + (nint)r * blocks;
            for (int i = 0; i < n; i++)
            {
                sbyte* x0 = xq + (nint)i * cols;
                float* d0 = xd + (nint)i * blocks;
                Vector256<float> acc = default;
                for (int b = 0; b < blocks; b++)
                {
                    nint c = (nint)b * Block;
                    var w = Vector256.Load(wRow + c);
                    var p16 = Avx2.MultiplyAddAdjacent(Avx2.Abs(w), Avx2.Sign(Vector256.Load(x0 + c), w));
                    var p32 = Avx2.MultiplyAddAdjacent(p16, ones);
                    acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(p32), Vector256.Create(dRow[b] * d0[b]), acc);
                }
                y[(nint)i * ldy + r] = Vector256.Sum(acc);
            }
        }
    }

    // ---------------------------------------------------------------- scalar reference

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // full opts at once; never inlined into a tiered caller (that copy ran ~1.5x slower)
    private static void RowsScalar(sbyte* wq, float* wd, int cols, sbyte* xq, float* xd, float* y, int ldy, int r0, int r1, int n)
    {
        int blocks = cols / Block;
        for (int r = r0; r < r1; r++)
        {
            for (int i = 0; i < n; i++)
            {
                float sum = 0;
                for (int b = 0; b < blocks; b++)
                {
                    sbyte* w = wq + (nint)r * cols + b * Block;
                    sbyte* x = xq + (nint)i * cols + b * Block;
                    int isum = 0;
                    for (int j = 0; j < Block; j++) isum += w[j] * x[j];
                    sum += isum * (wd[(nint)r * blocks + b] * xd[(nint)i * blocks + b]);
                }
                y[(nint)i * ldy + r] = sum;
            }
        }
    }
}
