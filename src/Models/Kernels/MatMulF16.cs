using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// f16 weights, column pairs interleaved as for bf16 (one load, two columns). .NET 10 exposes no VCVTPH2PS
/// intrinsic, so the conversion is integer work: move exponent+mantissa to the f32 position (<c>&lt;&lt; 13</c>) and
/// multiply by 2^112, which rebiases the exponent and is exact for normal and subnormal halves alike (a subnormal
/// half becomes an f32 subnormal that the multiply normalises); ±∞/NaN (exponent 31) are mapped separately; the
/// sign is ORed back.
/// </summary>
internal readonly unsafe struct MatMulF16 : IPanelLoader
{
    private const uint Pow2_112 = (112 + 127) << 23;
    private const uint HalfExpMaskShifted = 0x7C00u << 13;

    public static int ElementBytes => 2;

    public static nint Index(int lane, nint col) => MatMulBf16.Index(lane, col);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load512(byte* panel, nint pair, out Vector512<float> even, out Vector512<float> odd)
    {
        var words = Vector512.Load((uint*)panel + pair * 16);
        even = ToSingle(words & Vector512.Create(0xFFFFu));
        odd = ToSingle(Vector512.ShiftRightLogical(words, 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load256(byte* panel, nint pair, int half, out Vector256<float> even, out Vector256<float> odd)
    {
        var words = Vector256.Load((uint*)panel + pair * 16 + half * 8);
        even = ToSingle(words & Vector256.Create(0xFFFFu));
        odd = ToSingle(Vector256.ShiftRightLogical(words, 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(byte* panel, int lane, nint col) => (float)((Half*)panel)[Index(lane, col)];

    /// <summary>Halves in the low 16 bits of each lane → f32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ToSingle(Vector512<uint> h)
    {
        var em = Vector512.ShiftLeft(h & Vector512.Create(0x7FFFu), 13);
        var sign = Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16);
        var f = em.AsSingle() * Vector512.Create(Pow2_112).AsSingle();
        var special = Vector512.GreaterThanOrEqual(em, Vector512.Create(HalfExpMaskShifted));
        f = Vector512.ConditionalSelect(special.AsSingle(), (em | Vector512.Create(0x7F800000u)).AsSingle(), f);
        return (f.AsUInt32() | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ToSingle(Vector256<uint> h)
    {
        var em = Vector256.ShiftLeft(h & Vector256.Create(0x7FFFu), 13);
        var sign = Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16);
        var f = em.AsSingle() * Vector256.Create(Pow2_112).AsSingle();
        var special = Vector256.GreaterThanOrEqual(em, Vector256.Create(HalfExpMaskShifted));
        f = Vector256.ConditionalSelect(special.AsSingle(), (em | Vector256.Create(0x7F800000u)).AsSingle(), f);
        return (f.AsUInt32() | sign).AsSingle();
    }
}
