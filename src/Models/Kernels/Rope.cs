using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SteerServer.Models.Checkpoints;

namespace SteerServer.Models.Kernels;

/// <summary>
/// Rotary position embedding in the Hugging Face <c>rotate_half</c> convention: element p of a head is
/// rotated with element p + headDim/2 (not adjacent pairs as in llama2.c), by angle <c>pos · inv_freq[p]</c>.
/// </summary>
public static class Rope
{
    /// <summary>
    /// <c>inv_freq[i] = theta^(−2i/headDim)</c>, then <c>rope_scaling</c> (llama3: wavelengths longer than
    /// orig/low_freq_factor divided by factor, shorter than orig/high_freq_factor kept, blended in between),
    /// as HF <c>_compute_llama3_parameters</c>. Computed in f64, stored f32.
    /// </summary>
    public static float[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        int half = headDim / 2;
        var invFreq = new float[half];
        for (int i = 0; i < half; i++)
        {
            double f = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
            if (scaling is { RopeType: "llama3" } s)
            {
                double lowFreqWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
                double highFreqWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
                double wavelen = 2 * Math.PI / f;
                if (wavelen > lowFreqWavelen) f /= s.Factor;
                else if (wavelen >= highFreqWavelen)
                {
                    double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    f = (1 - smooth) * f / s.Factor + smooth * f;
                }
            }
            invFreq[i] = (float)f;
        }
        return invFreq;
    }

    /// <summary>cos/sin of <c>pos · invFreq[i]</c> for one position (angle in f64, stored f32).</summary>
    public static void Angles(int pos, ReadOnlySpan<float> invFreq, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < invFreq.Length; i++)
        {
            double angle = pos * (double)invFreq[i];
            cos[i] = (float)Math.Cos(angle);
            sin[i] = (float)Math.Sin(angle);
        }
    }

    /// <summary>Rotates each of the <paramref name="numHeads"/> heads of <paramref name="x"/> (<c>[numHeads * headDim]</c>) in place.</summary>
    public static void Apply(Span<float> x, int numHeads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = headDim / 2;
        if (x.Length < numHeads * headDim || cos.Length < half || sin.Length < half) throw new ArgumentException("Rope: buffer too short");
        for (int h = 0; h < numHeads; h++)
        {
            var head = x.Slice(h * headDim, headDim);
            if (Vector512.IsHardwareAccelerated && half >= Vector512<float>.Count) Rotate512(head, half, cos, sin);
            else if (Vector256.IsHardwareAccelerated && half >= Vector256<float>.Count) Rotate256(head, half, cos, sin);
            else RotateScalar(head, half, cos, sin, 0);
        }
    }

    /// <summary>Reference: <c>a' = a·cos − b·sin, b' = b·cos + a·sin</c> with a = x[p], b = x[p + half], from <paramref name="start"/>.</summary>
    internal static void RotateScalar(Span<float> head, int half, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, int start)
    {
        for (int p = start; p < half; p++)
        {
            float a = head[p], b = head[p + half];
            head[p] = a * cos[p] - b * sin[p];
            head[p + half] = b * cos[p] + a * sin[p];
        }
    }

    // Full vectors, then the scalar reference for the tail (half is usually a multiple of the width).
    internal static void Rotate512(Span<float> head, int half, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        ref float h0 = ref head[0];
        ref float c0 = ref Unsafe.AsRef(in cos[0]);
        ref float s0 = ref Unsafe.AsRef(in sin[0]);
        int p = 0;
        for (; p + Vector512<float>.Count <= half; p += Vector512<float>.Count)
        {
            var a = Vector512.LoadUnsafe(ref h0, (nuint)p);
            var b = Vector512.LoadUnsafe(ref h0, (nuint)(p + half));
            var c = Vector512.LoadUnsafe(ref c0, (nuint)p);
            var s = Vector512.LoadUnsafe(ref s0, (nuint)p);
            (a * c - b * s).StoreUnsafe(ref h0, (nuint)p);
            (b * c + a * s).StoreUnsafe(ref h0, (nuint)(p + half));
        }
        RotateScalar(head, half, cos, sin, p);
    }

    internal static void Rotate256(Span<float> head, int half, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        ref float h0 = ref head[0];
        ref float c0 = ref Unsafe.AsRef(in cos[0]);
        ref float s0 = ref Unsafe.AsRef(in sin[0]);
        int p = 0;
        for (; p + Vector256<float>.Count <= half; p += Vector256<float>.Count)
        {
            var a = Vector256.LoadUnsafe(ref h0, (nuint)p);
            var b = Vector256.LoadUnsafe(ref h0, (nuint)(p + half));
            var c = Vector256.LoadUnsafe(ref c0, (nuint)p);
            var s = Vector256.LoadUnsafe(ref s0, (nuint)p);
            (a * c - b * s).StoreUnsafe(ref h0, (nuint)p);
            (b * c + a * s).StoreUnsafe(ref h0, (nuint)(p + half));
        }
        RotateScalar(head, half, cos, sin, p);
    }
}
