using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>RMSNorm as in HF <c>LlamaRMSNorm</c>: <c>y = x / sqrt(mean(x²) + eps) · weight</c>, in f32.</summary>
public static unsafe class RmsNorm
{
    /// <summary>Normalises one row; <paramref name="x"/> and <paramref name="y"/> may be the same span.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int n = x.Length;
        if (weight.Length != n || y.Length < n) throw new ArgumentException("RmsNorm: x, weight and y lengths differ");
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* py = y)
            Forward(px, pw, eps, py, n);
    }

    // Two passes of plain vector loops: a prefill normalises thousands of rows of a few hundred values, where three
    // TensorPrimitives calls per row cost about ten times as much.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Forward(float* x, float* w, float eps, float* y, int n)
    {
        int i = 0;
        float sumSquares;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) { var v = Vector512.Load(x + i); acc = Vector512.FusedMultiplyAdd(v, v, acc); }
            sumSquares = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) { var v = Vector256.Load(x + i); acc = Vector256.FusedMultiplyAdd(v, v, acc); }
            sumSquares = Vector256.Sum(acc);
        }
        else sumSquares = 0;
        for (; i < n; i++) sumSquares = MathF.FusedMultiplyAdd(x[i], x[i], sumSquares);

        float scale = 1f / MathF.Sqrt(sumSquares / n + eps);
        i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) (Vector512.Load(x + i) * scale * Vector512.Load(w + i)).Store(y + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) (Vector256.Load(x + i) * scale * Vector256.Load(w + i)).Store(y + i);
        for (; i < n; i++) y[i] = x[i] * scale * w[i];
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
        for (int r = start; r < end; r++)
            Forward(job.X + (nint)r * job.Width, job.Weight, job.Eps, job.Y + (nint)r * job.Width, job.Width);
    }

    private struct Job
    {
        public float* X, Weight, Y;
        public int Width;
        public float Eps;
    }
}
