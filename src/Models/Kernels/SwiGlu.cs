using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>The Llama MLP activation: <c>gate = silu(gate) · up</c> with <c>silu(x) = x · sigmoid(x)</c>.</summary>
public static unsafe class SwiGlu
{
    // Elements per work item: enough to amortise a hand-off, small enough to spread a prefill over the threads.
    private const int Chunk = 4096;

    // Below this many values the calling thread does it alone: a decode step's 3-15K values take a few microseconds,
    // about what a hand-off costs (bench --profile on qwen2.5-0.5b: 24 hand-offs per token for 2-item jobs).
    private const int Inline = 32 * 1024;

    /// <summary>Result in <paramref name="gate"/>: one pass of <c>gate · up / (1 + e^−gate)</c>.</summary>
    public static void Forward(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (up.Length < gate.Length) throw new ArgumentException("SwiGlu: up shorter than gate");
        fixed (float* g = gate)
        fixed (float* u = up)
            Forward(g, u, gate.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Forward(float* g, float* u, int length)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= length; i += 16)
            {
                var x = Vector512.Load(g + i);
                (x * Vector512.Load(u + i) / (Vector512<float>.One + VectorMath.Exp(-x))).Store(g + i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= length; i += 8)
            {
                var x = Vector256.Load(g + i);
                (x * Vector256.Load(u + i) / (Vector256<float>.One + VectorMath.Exp(-x))).Store(g + i);
            }
        if (i < length && Vector256.IsHardwareAccelerated)
        {
            // The last values go through the same vector formula as the rest (via a padded copy), so a value's
            // result never depends on where it sits in the array, i.e. on how many sequences share the batch.
            int rest = length - i;
            float* gt = stackalloc float[8], ut = stackalloc float[8];
            for (int j = 0; j < 8; j++) { gt[j] = j < rest ? g[i + j] : 0; ut[j] = j < rest ? u[i + j] : 0; }
            var x = Vector256.Load(gt);
            (x * Vector256.Load(ut) / (Vector256<float>.One + VectorMath.Exp(-x))).Store(gt);
            for (int j = 0; j < rest; j++) g[i + j] = gt[j];
            return;
        }
        for (; i < length; i++) g[i] = g[i] * u[i] / (1 + MathF.Exp(-g[i]));
    }

    /// <summary>As <see cref="Forward(Span{float}, ReadOnlySpan{float})"/>, in chunks spread over <paramref name="pool"/> (prefill: n × intermediate values).</summary>
    public static void Forward(Span<float> gate, ReadOnlySpan<float> up, KernelThreadPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (up.Length < gate.Length) throw new ArgumentException("SwiGlu: up shorter than gate");
        if (gate.Length <= Inline) { Forward(gate, up); return; }
        fixed (float* g = gate)
        fixed (float* u = up)
        {
            var job = new Job { Gate = g, Up = u, Length = gate.Length };
            pool.Run(&RunChunks, &job, (gate.Length + Chunk - 1) / Chunk, 1);
        }
    }

    private static void RunChunks(void* context, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<Job>(context);
        for (int i = start; i < end; i++)
        {
            int offset = i * Chunk, length = Math.Min(Chunk, job.Length - offset);
            Forward(job.Gate + offset, job.Up + offset, length);
        }
    }

    private struct Job
    {
        public float* Gate, Up;
        public int Length;
    }
}
