using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>bf16 weights: a bf16 is the top half of an f32, so widen to 32 bits and shift left by 16 (exact).</summary>
internal readonly unsafe struct MatMulBf16 : IRowLoader
{
    public static int ElementBytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* row, nint col)
    {
        var wide = Vector512.WidenLower(Vector256.Load((ushort*)row + col).ToVector512Unsafe()); // vpmovzxwd
        return Vector512.ShiftLeft(wide, 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* row, nint col)
    {
        var wide = Vector256.WidenLower(Vector128.Load((ushort*)row + col).ToVector256Unsafe());
        return Vector256.ShiftLeft(wide, 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(byte* row, nint col) => BitConverter.Int32BitsToSingle(((ushort*)row)[col] << 16);
}
