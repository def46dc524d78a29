using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// f16 weights, converted in registers. .NET 10 exposes no VCVTPH2PS intrinsic, so the conversion is
/// integer work: move exponent+mantissa to the f32 position (<c>&lt;&lt; 13</c>) and multiply by 2^112, which
/// rebiases the exponent and is exact for normal and subnormal halves alike (a subnormal half becomes an
/// f32 subnormal that the multiply normalises); ±∞/NaN (exponent 31) are mapped separately; the sign is ORed back.
/// </summary>
internal readonly unsafe struct MatMulF16 : IRowLoader
{
    private const uint Pow2_112 = (112 + 127) << 23;
    private const uint HalfExpMaskShifted = 0x7C00u << 13;

    public static int ElementBytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* row, nint col)
    {
        var h = Vector512.WidenLower(Vector256.Load((ushort*)row + col).ToVector512Unsafe());
        var em = Vector512.ShiftLeft(h & Vector512.Create(0x7FFFu), 13);
        var sign = Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16);
        var f = em.AsSingle() * Vector512.Create(Pow2_112).AsSingle();
        var special = Vector512.GreaterThanOrEqual(em, Vector512.Create(HalfExpMaskShifted));
        f = Vector512.ConditionalSelect(special.AsSingle(), (em | Vector512.Create(0x7F800000u)).AsSingle(), f);
        return (f.AsUInt32() | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* row, nint col)
    {
        var h = Vector256.WidenLower(Vector128.Load((ushort*)row + col).ToVector256Unsafe());
        var em = Vector256.ShiftLeft(h & Vector256.Create(0x7FFFu), 13);
        var sign = Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16);
        var f = em.AsSingle() * Vector256.Create(Pow2_112).AsSingle();
        var special = Vector256.GreaterThanOrEqual(em, Vector256.Create(HalfExpMaskShifted));
        f = Vector256.ConditionalSelect(special.AsSingle(), (em | Vector256.Create(0x7F800000u)).AsSingle(), f);
        return (f.AsUInt32() | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(byte* row, nint col) => (float)((Half*)row)[col];
}
