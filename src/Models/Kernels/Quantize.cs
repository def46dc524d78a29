using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SteerServer.Models.Kernels;

/// <summary>
/// q8_0 quantisation as in llama.cpp (<c>quantize_row_q8_0</c>): per block of 32 values,
/// <c>d = max|x| / 127</c>, <c>q = round(x / d)</c> in [-127, 127]. Used for weights at load time
/// and for the activation rows of a q8_0 product (so the dot products are int8 × int8).
/// The scale is kept in f32 (llama.cpp stores f16; f32 costs 2 bytes more per 32 weights and no rounding).
/// </summary>
[SkipLocalsInit]
public static unsafe class Quantize
{
    public const int BlockSize = 32;

    /// <summary>Quantises <paramref name="x"/> (length a multiple of 32) into <paramref name="q"/> and one scale per block in <paramref name="d"/>.</summary>
    public static void RowQ8_0(ReadOnlySpan<float> x, Span<sbyte> q, Span<float> d)
    {
        if (x.Length % BlockSize != 0) throw new ArgumentException($"length {x.Length} is not a multiple of {BlockSize}", nameof(x));
        if (q.Length < x.Length) throw new ArgumentException("q too short", nameof(q));
        if (d.Length < x.Length / BlockSize) throw new ArgumentException("d too short", nameof(d));
        fixed (float* px = x)
        fixed (sbyte* pq = q)
        fixed (float* pd = d)
            RowQ8_0(px, x.Length, pq, pd, KernelDispatch.BestVariant);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowQ8_0(float* x, int length, sbyte* q, float* d, KernelVariant variant)
    {
        int blocks = length / BlockSize;
        if (variant == KernelVariant.V512 && Avx512F.IsSupported)
        {
            for (int b = 0; b < blocks; b++)
            {
                Block512(x + b * BlockSize, out var q0, out var q1, out d[b]);
                Avx512F.ConvertToVector128SByte(q0).Store(q + b * BlockSize);
                Avx512F.ConvertToVector128SByte(q1).Store(q + b * BlockSize + 16);
            }
            return;
        }
        for (int b = 0; b < blocks; b++)
        {
            d[b] = BlockScalar(x + b * BlockSize, out float inv);
            for (int j = 0; j < BlockSize; j++) q[b * BlockSize + j] = (sbyte)RoundAway(x[b * BlockSize + j] * inv);
        }
    }

    /// <summary>
    /// The same q8_0 values as <see cref="RowQ8_0(float*, int, sbyte*, float*, KernelVariant)"/>, stored as int16: the
    /// layout the q8_0 matrix product multiplies (<c>vpmaddwd</c> takes int16 pairs). Identical in every variant.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowQ8_0To16(float* x, int length, short* q, float* d, KernelVariant variant)
    {
        int blocks = length / BlockSize;
        if (variant == KernelVariant.V512 && Avx512F.IsSupported)
        {
            for (int b = 0; b < blocks; b++)
            {
                Block512(x + b * BlockSize, out var q0, out var q1, out d[b]);
                Avx512F.ConvertToVector256Int16(q0).Store(q + b * BlockSize);
                Avx512F.ConvertToVector256Int16(q1).Store(q + b * BlockSize + 16);
            }
            return;
        }
        if (variant is KernelVariant.V512 or KernelVariant.V256 && Vector256.IsHardwareAccelerated)
        {
            for (int b = 0; b < blocks; b++)
            {
                float* xb = x + b * BlockSize;
                var v0 = Vector256.Load(xb);
                var v1 = Vector256.Load(xb + 8);
                var v2 = Vector256.Load(xb + 16);
                var v3 = Vector256.Load(xb + 24);
                var m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
                var m4 = Vector128.Max(m.GetLower(), m.GetUpper());
                float amax = MathF.Max(MathF.Max(m4[0], m4[1]), MathF.Max(m4[2], m4[3]));
                float scale = amax / 127f;
                d[b] = scale;
                var iv = Vector256.Create(scale != 0 ? 1f / scale : 0f);
                Vector256.Narrow(Vector256.ConvertToInt32(RoundAway(v0 * iv)), Vector256.ConvertToInt32(RoundAway(v1 * iv))).Store(q + b * BlockSize);
                Vector256.Narrow(Vector256.ConvertToInt32(RoundAway(v2 * iv)), Vector256.ConvertToInt32(RoundAway(v3 * iv))).Store(q + b * BlockSize + 16);
            }
            return;
        }
        for (int b = 0; b < blocks; b++)
        {
            d[b] = BlockScalar(x + b * BlockSize, out float inv);
            for (int j = 0; j < BlockSize; j++) q[b * BlockSize + j] = (short)RoundAway(x[b * BlockSize + j] * inv);
        }
    }

    /// <summary>
    /// Activations for a q4 product (as llama.cpp's Q8_K): int8 values with one scale per super-block of
    /// <see cref="MatMulQ4.SuperCols"/> (the last may be shorter), <c>d = max|x| / 127</c>, and the sum of each
    /// 32-value sub-block's values (the weights' mins multiply them), then a zero. Identical in every variant.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowQ8_K(float* x, int length, sbyte* q, float* d, short* sums, KernelVariant variant)
    {
        bool vector = variant is KernelVariant.V512 or KernelVariant.V256 && Vector256.IsHardwareAccelerated;
        for (int start = 0, sb = 0; start < length; start += MatMulQ4.SuperCols, sb++)
        {
            int end = Math.Min(length, start + MatMulQ4.SuperCols);
            float amax = 0;
            if (vector)
            {
                var m = Vector256<float>.Zero;
                for (int j = start; j < end; j += 8) m = Vector256.Max(m, Vector256.Abs(Vector256.Load(x + j)));
                var m4 = Vector128.Max(m.GetLower(), m.GetUpper());
                amax = MathF.Max(MathF.Max(m4[0], m4[1]), MathF.Max(m4[2], m4[3]));
            }
            else
                for (int j = start; j < end; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float scale = amax / 127f;
            d[sb] = scale;
            float inv = scale != 0 ? 1f / scale : 0f;
            for (int b = start; b < end; b += BlockSize)
            {
                int sum = 0;
                if (vector)
                {
                    var iv = Vector256.Create(inv);
                    var i0 = Vector256.ConvertToInt32(RoundAway(Vector256.Load(x + b) * iv));
                    var i1 = Vector256.ConvertToInt32(RoundAway(Vector256.Load(x + b + 8) * iv));
                    var i2 = Vector256.ConvertToInt32(RoundAway(Vector256.Load(x + b + 16) * iv));
                    var i3 = Vector256.ConvertToInt32(RoundAway(Vector256.Load(x + b + 24) * iv));
                    sum = Vector256.Sum(i0 + i1 + i2 + i3);
                    var s0 = Vector256.Narrow(i0, i1);
                    var s1 = Vector256.Narrow(i2, i3);
                    Vector256.Narrow(s0, s1).Store(q + b); // int16 → int8 by truncation: the values fit
                }
                else
                {
                    for (int j = b; j < b + BlockSize; j++)
                    {
                        int v = (int)RoundAway(x[j] * inv);
                        q[j] = (sbyte)v;
                        sum += v;
                    }
                }
                sums[b / BlockSize] = (short)sum;
            }
        }
        sums[length / BlockSize] = 0;
    }

    /// <summary>
    /// q8_0 of one block of packed weights: the scale <c>max|x| / 127</c> rounded up to bf16 (what the packed layout
    /// stores), and the values quantised with that rounded scale, so |q| ≤ 127 and each error stays within half of the
    /// stored step. Returns the bf16 scale; the same values in every variant.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static ushort BlockQ8_0Bf16(float* x, sbyte* q, KernelVariant variant)
    {
        float scale;
        Vector512<float> v0 = default, v1 = default;
        bool wide = variant == KernelVariant.V512 && Avx512F.IsSupported;
        if (wide)
        {
            v0 = Vector512.Load(x);
            v1 = Vector512.Load(x + 16);
            scale = Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1)).ToScalarMax() / 127f;
        }
        else scale = BlockScalar(x, out _);
        ushort bf16 = MatMulBf16.RoundUp(scale); // the step never shrinks below max|x| / 127
        float stored = MatMulBf16.ToSingle(bf16);
        float inv = stored != 0 ? 1f / stored : 0f;
        if (wide)
        {
            var iv = Vector512.Create(inv);
            var lim = Vector512.Create(127f);
            var q0 = Vector512.ConvertToInt32(Vector512.Clamp(RoundAway(v0 * iv), -lim, lim));
            var q1 = Vector512.ConvertToInt32(Vector512.Clamp(RoundAway(v1 * iv), -lim, lim));
            Avx512F.ConvertToVector128SByte(q0).Store(q);
            Avx512F.ConvertToVector128SByte(q1).Store(q + 16);
        }
        else
        {
            for (int j = 0; j < BlockSize; j++) q[j] = (sbyte)Math.Clamp(RoundAway(x[j] * inv), -127f, 127f);
        }
        return bf16;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block512(float* x, out Vector512<int> q0, out Vector512<int> q1, out float scale)
    {
        var v0 = Vector512.Load(x);
        var v1 = Vector512.Load(x + 16);
        float amax = Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1)).ToScalarMax();
        scale = amax / 127f;
        var iv = Vector512.Create(scale != 0 ? 1f / scale : 0f);
        q0 = Vector512.ConvertToInt32(RoundAway(v0 * iv));
        q1 = Vector512.ConvertToInt32(RoundAway(v1 * iv));
    }

    private static float BlockScalar(float* x, out float inv)
    {
        float amax = 0;
        for (int j = 0; j < BlockSize; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
        float scale = amax / 127f;
        inv = scale != 0 ? 1f / scale : 0f;
        return scale;
    }

    /// <summary>Round half away from zero, like roundf: the truncation, plus one step when the dropped part is ≥ 1/2 (exact).</summary>
    private static float RoundAway(float v)
    {
        float t = MathF.Truncate(v);
        return MathF.Abs(v - t) >= 0.5f ? t + MathF.CopySign(1f, v) : t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RoundAway(Vector256<float> v)
    {
        var t = Vector256.Truncate(v);
        var up = Vector256.GreaterThanOrEqual(Vector256.Abs(v - t), Vector256.Create(0.5f));
        return t + (Vector256.CopySign(Vector256.Create(1f), v) & up);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RoundAway(Vector512<float> v)
    {
        var t = Vector512.Truncate(v);
        var up = Vector512.GreaterThanOrEqual(Vector512.Abs(v - t), Vector512.Create(0.5f));
        return t + (Vector512.CopySign(Vector512.Create(1f), v) & up);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ToScalarMax(this Vector512<float> v)
    {
        var m = Vector256.Max(v.GetLower(), v.GetUpper());
        var m4 = Vector128.Max(m.GetLower(), m.GetUpper());
        m4 = Vector128.Max(m4, Vector128.Shuffle(m4, Vector128.Create(2, 3, 0, 1)));
        m4 = Vector128.Max(m4, Vector128.Shuffle(m4, Vector128.Create(1, 0, 3, 2)));
        return m4.ToScalar();
    }
}
