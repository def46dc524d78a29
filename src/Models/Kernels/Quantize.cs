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
                var v0 = Vector512.Load(x + b * BlockSize);
                var v1 = Vector512.Load(x + b * BlockSize + 16);
                float amax = Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1)).ToScalarMax();
                float scale = amax / 127f;
                float inv = scale != 0 ? 1f / scale : 0f;
                d[b] = scale;
                var iv = Vector512.Create(inv);
                // Round half away from zero like roundf, then narrow int32 → int8 (values are within ±127).
                var q0 = Vector512.ConvertToInt32(RoundAway(v0 * iv));
                var q1 = Vector512.ConvertToInt32(RoundAway(v1 * iv));
                Avx512F.ConvertToVector128SByte(q0).Store(q + b * BlockSize);
                Avx512F.ConvertToVector128SByte(q1).Store(q + b * BlockSize + 16);
            }
            return;
        }
        for (int b = 0; b < blocks; b++)
        {
            float* xb = x + b * BlockSize;
            float amax = 0;
            for (int j = 0; j < BlockSize; j++) amax = MathF.Max(amax, MathF.Abs(xb[j]));
            float scale = amax / 127f;
            float inv = scale != 0 ? 1f / scale : 0f;
            d[b] = scale;
            for (int j = 0; j < BlockSize; j++) q[b * BlockSize + j] = (sbyte)MathF.Round(xb[j] * inv, MidpointRounding.AwayFromZero);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RoundAway(Vector512<float> v) =>
        Vector512.Truncate(v + Vector512.CopySign(Vector512.Create(0.5f), v));

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
