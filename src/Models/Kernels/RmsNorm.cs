using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace SteerServer.Models.Kernels;

/// <summary>RMSNorm as in HF <c>LlamaRMSNorm</c>: <c>y = x / sqrt(mean(x²) + eps) · weight</c>, in f32.</summary>
public static unsafe class RmsNorm
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

    /// <summary>As <see cref="Rows(ReadOnlySpan{float}, ReadOnlySpan{float}, float, Span{float}, int)"/>, rows spread over <paramref name="pool"/>.</summary>
    public static void Rows(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int rows, KernelThreadPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int width = weight.Length;
        if (x.Length < (long)rows * width || y.Length < (long)rows * width) throw new ArgumentException("RmsNorm: x or y shorter than rows × width");
        // Below ~32 rows a hand-off costs more than it saves.
        if (rows < 32) { Rows(x, weight, eps, y, rows); return; }
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* py = y)
        {
            var job = new Job { X = px, Weight = pw, Y = py, Width = width, Eps = eps };
            pool.Run(&RunRows, &job, rows, 8);
        }
    }

    private static void RunRows(void* context, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<Job>(context);
        var weight = new ReadOnlySpan<float>(job.Weight, job.Width);
        for (int r = start; r < end; r++)
            Forward(new ReadOnlySpan<float>(job.X + (nint)r * job.Width, job.Width), weight, job.Eps, new Span<float>(job.Y + (nint)r * job.Width, job.Width));
    }

    private struct Job
    {
        public float* X, Weight, Y;
        public int Width;
        public float Eps;
    }
}
