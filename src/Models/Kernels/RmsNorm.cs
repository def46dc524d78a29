using System.Numerics.Tensors;

namespace SteerServer.Models.Kernels;

/// <summary>RMSNorm as in HF <c>LlamaRMSNorm</c>: <c>y = x / sqrt(mean(x²) + eps) · weight</c>, in f32.</summary>
public static class RmsNorm
{
    /// <summary>Normalises one row; <paramref name="x"/> and <paramref name="y"/> may be the same span.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int n = x.Length;
        if (weight.Length != n || y.Length < n) throw new ArgumentException("RmsNorm: x, weight and y lengths differ");
        float meanSquare = TensorPrimitives.SumOfSquares(x) / n;
        float scale = 1f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(x, scale, y[..n]);
        TensorPrimitives.Multiply(y[..n], weight, y[..n]);
    }

    /// <summary>Normalises <paramref name="rows"/> rows of width <c>weight.Length</c>.</summary>
    public static void Rows(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int rows)
    {
        int width = weight.Length;
        for (int r = 0; r < rows; r++)
            Forward(x.Slice(r * width, width), weight, eps, y.Slice(r * width, width));
    }
}
