namespace SteerServer.Models.Kernels;

/// <summary>
/// Inputs re-laid for the Vector512 prefill tiles of <see cref="MatMulFloat{TLoad}"/> (f32 pairs) and
/// <see cref="MatMulQ8_0"/> (int16 pairs): in groups of 12 (the last may hold fewer, m), column pair p of input j of
/// a group at pair index <c>m·p + j</c>, an odd last float column padded with zero. A 12-input tile then takes its
/// 12 broadcasts per column pair from one run: one stream the prefetcher follows, where 12 separate rows of 2048
/// columns (96 KB of floats) no longer stay in L1 and cost a fifth of the speed. Only where each value is read
/// changes, so not a bit of a product does. One input packed is the input itself.
/// </summary>
internal static unsafe class PackedInputs
{
    /// <summary>Inputs per group: the widest tile.</summary>
    public const int Group = 12;

    /// <summary>Whether the products read packed inputs: their Vector512 paths do.</summary>
    public static bool Packs(KernelVariant variant, int n) => variant == KernelVariant.V512 && n > 1;

    /// <summary>Floats <see cref="PackFloats"/> writes.</summary>
    public static long FloatLength(int cols, int n) => (long)n * ((cols + 1) & ~1);

    public static void PackFloats(float* x, int cols, int n, float* packed, KernelThreadPool pool) =>
        Pack(new Job { From = (byte*)x, Cols = cols, N = n, To = (byte*)packed, Floats = true }, pool);

    /// <summary>
    /// Quantises each input to q8_0 (<see cref="Quantize.RowQ8_0To16"/>: int8 values in int16 at <paramref name="xq"/>,
    /// scales at <paramref name="xd"/>, row-major) and packs the values into as many int16; both are spread over the pool.
    /// </summary>
    public static void QuantizeAndPackQ8(float* x, int cols, int n, short* xq, float* xd, short* packed, KernelVariant variant, KernelThreadPool pool) =>
        Pack(new Job { From = (byte*)xq, Cols = cols, N = n, To = (byte*)packed, Source = x, Scales = xd, Variant = variant }, pool);

    private static void Pack(Job job, KernelThreadPool pool)
    {
        int groups = (job.N + Group - 1) / Group;
        // Worth a hand-off when big: a prefill's inputs (128 × 4864 floats, 2.5 MB) took a tenth of a small product's time on one thread.
        if (groups > 1 && (long)job.N * job.Cols >= 32 * 1024) pool.Run(&PackGroups, &job, groups, 1);
        else PackGroups(&job, 0, groups);
    }

    private struct Job
    {
        public byte* From, To;
        public int Cols, N;
        public bool Floats;
        public float* Source, Scales; // q8_0: the inputs to quantise into From first
        public KernelVariant Variant;
    }

    private static void PackGroups(void* context, int first, int end)
    {
        var job = (Job*)context;
        int cols = job->Cols, pairs = (cols + 1) >> 1;
        for (int g = first; g < end; g++)
        {
            int i0 = g * Group, m = Math.Min(Group, job->N - i0);
            for (int j = 0; j < m; j++)
            {
                int i = i0 + j;
                if (job->Floats)
                {
                    float* xi = (float*)job->From + (long)i * cols;
                    long* to = (long*)job->To + (long)i0 * pairs + j;
                    to = PackRow((long*)xi, cols >> 1, to, m);
                    if ((cols & 1) != 0) { ((float*)to)[0] = xi[cols - 1]; ((float*)to)[1] = 0; }
                }
                else
                {
                    short* xq = (short*)job->From + (long)i * cols;
                    Quantize.RowQ8_0To16(job->Source + (long)i * cols, cols, xq, job->Scales + (long)i * (cols / Quantize.BlockSize), job->Variant);
                    PackRow((int*)xq, pairs, (int*)job->To + (long)i0 * pairs + j, m);
                }
            }
        }
    }

    /// <summary>Writes <paramref name="count"/> pairs <paramref name="stride"/> apart; returns where the next would go.</summary>
    private static T* PackRow<T>(T* from, int count, T* to, int stride) where T : unmanaged
    {
        for (int p = 0; p < count; p++, to += stride) *to = from[p];
        return to;
    }
}
