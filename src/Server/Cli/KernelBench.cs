using System.Diagnostics;
using System.Text.Json.Nodes;
using SteerServer.Models.Kernels;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>bench --kernels</c>: the matrix products alone, every dtype and kernel width side by side. Decode shape:
/// the smollm2-135m lm_head (49152 × 576) against 1 and 8 inputs, reported as GB/s of weights streamed, and a
/// gate_proj (1536 × 576) against 1 input, whose weights stay in L2: memory bound versus compute bound;
/// prefill shape: gate_proj (1536 × 576) against 128 inputs, reported as GFLOP/s. Median of the repeats.
/// </summary>
internal static class KernelBench
{
    public static int Run(int threads, int repeat, bool json, bool onlyBest = false)
    {
        var pool = KernelThreadPool.Default;
        var rng = new Random(42);
        if (!json) Console.WriteLine($"# kernels, {threads} threads, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var shapes = new (string Name, int Rows, int Cols, int N)[]
        {
            ("decode lm_head", 49152, 576, 1),
            ("decode lm_head", 49152, 576, 8),
            ("decode in L2", 1536, 576, 1), // the kernel's own speed: the same product with weights that stay in cache
            ("prefill q/o", 576, 576, 128),
            ("prefill k/v", 192, 576, 128),
            ("prefill gate", 1536, 576, 128),
            ("prefill down", 576, 1536, 128),
            ("prefill up 1B", 8192, 2048, 128), // llama-3.2-1b's gate/up: inputs of 2048 columns no longer fit L1
        };
        foreach (var (shapeName, rows, cols, n) in shapes)
        {
            var wf = new float[rows * cols];
            for (int i = 0; i < wf.Length; i++) wf[i] = (float)(rng.NextDouble() - 0.5) * 0.04f;
            var f32 = WeightMatrix.FromArray(wf, rows, cols);
            var x = new float[n * cols];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() - 0.5);
            var y = new float[n * rows];
            foreach (var dtype in new[] { DType.F32, DType.BF16, DType.F16, DType.Q8_0, DType.Q4 })
            {
                var w = WeightPacker.Pack(f32, dtype);
                foreach (var variant in KernelDispatch.Available)
                {
                    if (onlyBest && variant != KernelDispatch.BestVariant) continue;
                    if (variant == KernelVariant.Scalar && n > 1) continue; // minutes, and not informative
                    w.MatMul(x, y, n, pool, variant); // warm-up
                    int iters = Math.Max(3, (int)(2e8 / ((double)w.ByteSize + (double)rows * cols * n * 4)));
                    if (variant == KernelVariant.Scalar) iters = 3;
                    var times = new List<double>();
                    var cpuTimes = new List<double>();
                    var process = Process.GetCurrentProcess();
                    for (int r = 0; r < repeat; r++)
                    {
                        process.Refresh();
                        var cpu0 = process.TotalProcessorTime;
                        var sw = Stopwatch.StartNew();
                        for (int k = 0; k < iters; k++) w.MatMul(x, y, n, pool, variant);
                        times.Add(sw.Elapsed.TotalSeconds / iters);
                        process.Refresh();
                        cpuTimes.Add((process.TotalProcessorTime - cpu0).TotalSeconds / iters);
                    }
                    times.Sort();
                    cpuTimes.Sort();
                    double t = times[times.Count / 2];
                    double cpu = cpuTimes[cpuTimes.Count / 2]; // CPU seconds (all threads): less sensitive to a shared machine than wall time
                    double gbs = w.ByteSize / t / 1e9;
                    double gflops = 2.0 * rows * cols * n / t / 1e9;
                    if (json)
                        Console.WriteLine(new JsonObject
                        {
                            ["shape"] = shapeName, ["rows"] = rows, ["cols"] = cols, ["n"] = n,
                            ["dtype"] = dtype.ToString().ToLowerInvariant(), ["variant"] = variant.ToString().ToLowerInvariant(),
                            ["threads"] = threads, ["ms"] = Math.Round(t * 1e3, 3), ["cpu_ms"] = Math.Round(cpu * 1e3, 3), ["weight_gb_s"] = Math.Round(gbs, 2), ["gflop_s"] = Math.Round(gflops, 1),
                        }.ToJsonString());
                    else
                        Console.WriteLine($"{shapeName,-15} {rows,6}x{cols,-5} n={n,-4} {dtype,-5} {variant,-6} {t * 1e3,8:F3} ms {cpu * 1e3,8:F3} cpu-ms {gbs,7:F1} GB/s {gflops,7:F1} GFLOP/s");
                }
            }
        }
        return 0;
    }
}
