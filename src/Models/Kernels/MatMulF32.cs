using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>f32 weights: columns in order, 16 floats (one vector) each.</summary>
internal readonly unsafe struct MatMulF32 : IPanelLoader
{
    public static int ElementBytes => 4;

    public static nint Index(int lane, nint col) => col * WeightMatrix.PanelRows + lane;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load512(byte* panel, nint pair, out Vector512<float> even, out Vector512<float> odd)
    {
        float* p = (float*)panel + pair * 32;
        even = Vector512.Load(p);
        odd = Vector512.Load(p + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load256(byte* panel, nint pair, int half, out Vector256<float> even, out Vector256<float> odd)
    {
        float* p = (float*)panel + pair * 32 + half * 8;
        even = Vector256.Load(p);
        odd = Vector256.Load(p + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(byte* panel, int lane, nint col) => ((float*)panel)[Index(lane, col)];
}
