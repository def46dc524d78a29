using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// <c>e^x</c> on whole f32 vectors, after Cephes <c>expf</c> (about 1 ulp): <c>x = n·ln2 + r</c> with |r| ≤ ln2/2 (ln2 split in
/// two for an exact n·ln2), <c>e^r</c> by a degree-7 polynomial, <c>2^n</c> through the exponent bits. The library's
/// <c>Vector512.Exp</c> works in f64 and was several times slower here (27 % of prefill attention, as much as a matrix
/// product in SwiGLU). Lanes below −87.3 (masked keys are −∞) give exactly 0; above 88.3 the input is clamped.
/// </summary>
internal static class VectorMath
{
    private const float ExpLow = -87.3f, ExpHigh = 88.3f, Log2E = 1.44269504f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float Round = 12582912f; // 1.5 · 2^23: adding it rounds to an integer held in the low mantissa bits
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var xc = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpLow)), Vector512.Create(ExpHigh));
        var t = Vector512.FusedMultiplyAdd(xc, Vector512.Create(Log2E), Vector512.Create(Round));
        var n = t - Vector512.Create(Round);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        var y = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var pow2 = Vector512.ShiftLeft(Vector512.AsInt32(t) - Vector512.AsInt32(Vector512.Create(Round)) + Vector512.Create(127), 23).AsSingle();
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpLow)), Vector512<float>.Zero, y * pow2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var xc = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpLow)), Vector256.Create(ExpHigh));
        var t = Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), Vector256.Create(Round));
        var n = t - Vector256.Create(Round);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        var y = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var pow2 = Vector256.ShiftLeft(Vector256.AsInt32(t) - Vector256.AsInt32(Vector256.Create(Round)) + Vector256.Create(127), 23).AsSingle();
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLow)), Vector256<float>.Zero, y * pow2);
    }
}
