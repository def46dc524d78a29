using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// bf16 weights. Each column pair is interleaved (lane j: column 2p in the low half of a 32-bit word, 2p+1 in the
/// high half), so one 64-byte load gives both columns: a bf16 is the top half of an f32, so the even column is
/// the word shifted left by 16 and the odd one the word with its low half cleared, both exact and in-lane.
/// </summary>
internal readonly unsafe struct MatMulBf16 : IPanelLoader
{
    public static int ElementBytes => 2;

    public static nint Index(int lane, nint col) => (col >> 1) * 32 + 2 * lane + (col & 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load512(byte* panel, nint pair, out Vector512<float> even, out Vector512<float> odd)
    {
        var words = Vector512.Load((uint*)panel + pair * 16);
        even = Vector512.ShiftLeft(words, 16).AsSingle();
        odd = (words & Vector512.Create(0xFFFF0000u)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load256(byte* panel, nint pair, int half, out Vector256<float> even, out Vector256<float> odd)
    {
        var words = Vector256.Load((uint*)panel + pair * 16 + half * 8);
        even = Vector256.ShiftLeft(words, 16).AsSingle();
        odd = (words & Vector256.Create(0xFFFF0000u)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(byte* panel, int lane, nint col) => ToSingle(((ushort*)panel)[Index(lane, col)]);

    /// <summary>A bf16 as f32 (exact: the top half of the f32's bits).</summary>
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>A non-negative f32 rounded up to a bf16: a scale stored this way never shrinks the step it was fitted for.</summary>
    public static ushort RoundUp(float nonNegative)
    {
        uint bits = BitConverter.SingleToUInt32Bits(nonNegative);
        if ((bits & 0xFFFF) != 0) bits += 0x10000;
        return (ushort)(bits >> 16);
    }

    /// <summary>An f32 rounded to the nearest bf16, ties to even; a NaN stays a NaN.</summary>
    public static ushort FromSingle(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }
}
