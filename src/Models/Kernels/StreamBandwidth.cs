using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// The read bandwidth of the machine over a model's own packed weights on the kernel pool's threads: the ceiling of a
/// decode step, which reads every weight once. The same bytes in the same memory (huge pages), summed in pieces of
/// 1 MiB handed out like matrix panels, with no arithmetic to speak of; best of a few passes. Needs no extra memory,
/// so the peak a benchmark reports stays the model's.
/// </summary>
public static unsafe class StreamBandwidth
{
    private const long PieceBytes = 1 << 20;

    public static double MeasureGBs(IEnumerable<WeightMatrix> matrices, KernelThreadPool pool, int passes = 5)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var pieces = new List<(long Address, long Bytes)>();
        long total = 0;
        foreach (var w in matrices)
        {
            long bytes = w.ByteSize & ~63L; // whole 64-byte vectors (the packed layouts are 64-byte aligned)
            for (long offset = 0; offset < bytes; offset += PieceBytes)
                pieces.Add(((long)w.Data + offset, Math.Min(PieceBytes, bytes - offset)));
            total += bytes;
        }
        if (total == 0) return 0;
        var array = pieces.ToArray();
        fixed ((long, long)* p = array)
        {
            var job = new Job { Pieces = p };
            double best = 0;
            for (int pass = 0; pass < passes; pass++)
            {
                var sw = Stopwatch.StartNew();
                pool.Run(&Sum, &job, array.Length, 1);
                best = Math.Max(best, total / sw.Elapsed.TotalSeconds / 1e9);
            }
            return best;
        }
    }

    private struct Job
    {
        public (long Address, long Bytes)* Pieces;
        public int Sink;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Sum(void* context, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<Job>(context);
        Vector256<int> a = default, b = default;
        for (int i = start; i < end; i++)
        {
            var piece = job.Pieces[i];
            byte* p = (byte*)piece.Address;
            for (long k = 0; k < piece.Bytes; k += 64)
            {
                a += Vector256.Load((int*)(p + k)); // integer adds: any bytes, one cycle each
                b += Vector256.Load((int*)(p + k + 32));
            }
        }
        job.Sink += Vector256.Sum(a + b); // keeps the loads alive (races on the sink do not matter)
    }
}
