using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// Writes a panel's output lanes (lane j = output row j) to <c>y</c>: all of them, or the first <c>valid</c> in a
/// last, zero-padded panel. Shared by the float, q8_0 and q4 kernels.
/// </summary>
internal static unsafe class PanelStore
{
    private const int Lanes = WeightMatrix.PanelRows;

    /// <summary>16 rows in one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> v, float* y, int valid)
    {
        if (valid == Lanes) { v.Store(y); return; }
        for (int j = 0; j < valid; j++) y[j] = v.GetElement(j);
    }

    /// <summary>16 rows as two halves of 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> lo, Vector256<float> hi, float* y, int valid)
    {
        if (valid == Lanes) { lo.Store(y); hi.Store(y + 8); return; }
        for (int j = 0; j < valid; j++) y[j] = j < 8 ? lo.GetElement(j) : hi.GetElement(j - 8);
    }

    /// <summary>One half of 8 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> v, float* y, int valid)
    {
        if (valid == 8) { v.Store(y); return; }
        for (int j = 0; j < valid; j++) y[j] = v.GetElement(j);
    }
}
