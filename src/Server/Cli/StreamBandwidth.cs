using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SteerServer.Models.Kernels;

namespace SteerServer.Server.Cli;

/// <summary>
/// The machine's streaming read bandwidth on the kernel pool's threads: the ceiling a decode step (which reads
/// every weight once) can reach. Sums a 1 GiB buffer (far beyond the caches) in 2 MiB chunks, best of a few passes.
/// </summary>
internal static unsafe class StreamBandwidth
{
    private const long Bytes = 1L << 30;
    private const int ChunkBytes = 2 << 20;

    public static double MeasureGBs(KernelThreadPool pool, int passes = 5)
    {
        // Huge pages, as the weights get (WeightArena); the block is freed once collected.
        var (pointer, owner) = new WeightArena(Bytes).Allocate(Bytes);
        var buffer = (byte*)pointer;
        try
        {
            NativeMemory.Fill(buffer, (nuint)Bytes, 1);
            var job = new Job { Data = buffer };
            int items = (int)(Bytes / ChunkBytes);
            double best = 0;
            for (int p = 0; p < passes; p++)
            {
                var sw = Stopwatch.StartNew();
                pool.Run(&Sum, &job, items, 1);
                best = Math.Max(best, Bytes / sw.Elapsed.TotalSeconds / 1e9);
            }
            return best;
        }
        finally
        {
            GC.KeepAlive(owner);
        }
    }

    private struct Job
    {
        public byte* Data;
        public float Sink;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Sum(void* context, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<Job>(context);
        Vector256<float> a = default, b = default, c = default, d = default;
        for (long i = start; i < end; i++)
        {
            float* p = (float*)(job.Data + i * ChunkBytes);
            for (int k = 0; k < ChunkBytes / 4; k += 32)
            {
                a += Vector256.Load(p + k);
                b += Vector256.Load(p + k + 8);
                c += Vector256.Load(p + k + 16);
                d += Vector256.Load(p + k + 24);
            }
        }
        job.Sink += Vector256.Sum(a + b + c + d); // keeps the loads alive (races on the sink do not matter)
    }
}
