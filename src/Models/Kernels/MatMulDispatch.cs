using System.Runtime.CompilerServices;

namespace SteerServer.Models.Kernels;

/// <summary>
/// One matrix product call (<see cref="WeightMatrix.MatMul(ReadOnlySpan{float}, int, KernelThreadPool, WeightMatrix, Span{float}, WeightMatrix?, Span{float}, WeightMatrix?, Span{float}, KernelVariant)"/>):
/// checks, quantises the activations once for the quantised dtypes, and hands the weights' 16-row panels to the
/// pool in chunks, each computed by its dtype's kernel. Allocates nothing (activation scratch is per thread and reused).
/// </summary>
internal static unsafe class MatMulDispatch
{
    private const int PanelRows = WeightMatrix.PanelRows;

    public static void Run(ReadOnlySpan<float> x, int n, KernelThreadPool pool,
        WeightMatrix a, Span<float> ya, WeightMatrix? b, Span<float> yb, WeightMatrix? c, Span<float> yc,
        KernelVariant variant)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int cols = a.Cols;
        if (x.Length < (long)n * cols) throw new ArgumentException($"x has {x.Length} values, needs {n}×{cols}", nameof(x));
        CheckOutput(a, ya, n, a);
        if (b != null) CheckOutput(b, yb, n, a);
        if (c != null) CheckOutput(c, yc, n, a);
        if (n == 0) return;
        fixed (float* px = x)
        fixed (float* pya = ya)
        fixed (float* pyb = yb)
        fixed (float* pyc = yc)
        {
            var job = new MatMulJob { Cols = cols, X = px, N = n, DType = a.DType, Variant = KernelDispatch.Resolve(variant) };
            // Work items: panels of 16 rows, numbered across the weights.
            int items = job.Add(a, pya) + job.Add(b, pyb) + job.Add(c, pyc);
            if (items == 0) return;
            if (cols == 0)
            {
                for (int k = 0; k < job.PartCount; k++) new Span<float>(job.Parts[k].Y, n * job.Parts[k].Rows).Clear();
                return;
            }
            if (job.DType == DType.Q4)
            {
                // int8 activations, a scale per 256 and sums per 32, made once; every panel reads them.
                int supers = MatMulQ4.Supers(cols), stride = MatMulQ4.SumStride(cols);
                var scratch = ActivationScratch.Get((long)n * cols / 2 + 1, (long)n * supers, (long)n * stride);
                job.XQ8 = (sbyte*)scratch.Q;
                job.XD = scratch.D;
                job.XS = scratch.S;
                for (int i = 0; i < n; i++)
                    Quantize.RowQ8_K(px + (long)i * cols, cols, job.XQ8 + (long)i * cols, job.XD + (long)i * supers, job.XS + (long)i * stride, job.Variant);
            }
            else if (job.DType is DType.F32 or DType.BF16 or DType.F16 && PackedInputs.Packs(job.Variant, n))
            {
                job.XPacked = ActivationScratch.Get(0, 0, 0, PackedInputs.FloatLength(cols, n)).Inputs;
                PackedInputs.PackFloats(px, cols, n, job.XPacked, pool);
            }
            else if (job.DType == DType.Q8_0)
            {
                // Quantise the activations once (int8 values held in int16, one scale per block); every panel reads them.
                int blocks = cols / Quantize.BlockSize;
                bool packs = PackedInputs.Packs(job.Variant, n);
                var scratch = ActivationScratch.Get((packs ? 2L : 1L) * n * cols, (long)n * blocks, 0); // packed: row-major, then packed
                job.XQ = scratch.Q;
                job.XD = scratch.D;
                if (packs)
                {
                    job.XQPacked = job.XQ + (long)n * cols;
                    PackedInputs.QuantizeAndPackQ8(px, cols, n, job.XQ, job.XD, job.XQPacked, job.Variant, pool);
                }
                else
                {
                    for (int i = 0; i < n; i++)
                        Quantize.RowQ8_0To16(px + (long)i * cols, cols, job.XQ + (long)i * cols, job.XD + (long)i * blocks, job.Variant);
                }
            }
            pool.Run(&RunItems, &job, items, ChunkItems(job.DType, cols, items, n, pool.ThreadCount));
        }
    }

    private static void CheckOutput(WeightMatrix w, Span<float> y, int n, WeightMatrix first)
    {
        if (w.DType != first.DType || w.Cols != first.Cols)
            throw new ArgumentException($"weights computed together must agree in dtype and columns: {first.DType} ×{first.Cols} and {w.DType} ×{w.Cols}");
        if (y.Length < (long)n * w.Rows) throw new ArgumentException($"y has {y.Length} values, needs {n}×{w.Rows}", nameof(y));
        if (!w.IsPacked) throw new InvalidOperationException("a row-major view must be packed with WeightPacker.Pack before MatMul");
    }

    /// <summary>Items per chunk: small enough that a chunk of weights stays in L2 while all inputs pass over it and that
    /// threads can even out, large enough that tiny products stay on the calling thread.</summary>
    private static int ChunkItems(DType dtype, int cols, int items, int n, int threads)
    {
        long macs = (long)items * PanelRows * cols * n;
        if (threads == 1 || macs < 64 * 1024) return items; // not worth waking a thread
        if (n < 4)
        {
            // Decode reads each weight once, so there is no cache to fit: long chunks keep each thread on one prefetched
            // stream, in whole groups of four panels (the float kernels' decode tile), eight per thread to even out.
            return (Math.Max(4, items / (threads * 8)) + 3) & ~3;
        }
        long itemBytes = WeightMatrix.StorageBytes(dtype, PanelRows, cols, packed: true);
        int byCache = (int)Math.Clamp(96 * 1024 / itemBytes, 1, int.MaxValue);
        int byBalance = Math.Max(1, items / (threads * 4));
        return Math.Min(byCache, byBalance);
    }

    private static void RunItems(void* context, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<MatMulJob>(context);
        for (int k = 0; k < job.PartCount; k++)
        {
            ref var part = ref job.Parts[k];
            int s = Math.Max(start, part.FirstItem) - part.FirstItem, e = Math.Min(end, part.FirstItem + part.Items) - part.FirstItem;
            if (s < e) RunPart(ref job, ref part, s, e);
        }
    }

    private static void RunPart(ref MatMulJob job, ref MatMulPart part, int start, int end)
    {
        switch (job.DType)
        {
            case DType.F32: MatMulFloat<MatMulF32>.Panels(job.Variant, part.W, job.Cols, job.X, job.XPacked, part.Y, part.Rows, start, end, job.N); break;
            case DType.BF16: MatMulFloat<MatMulBf16>.Panels(job.Variant, part.W, job.Cols, job.X, job.XPacked, part.Y, part.Rows, start, end, job.N); break;
            case DType.F16: MatMulFloat<MatMulF16>.Panels(job.Variant, part.W, job.Cols, job.X, job.XPacked, part.Y, part.Rows, start, end, job.N); break;
            case DType.Q8_0:
                MatMulQ8_0.Panels(job.Variant, part.W, job.Cols, job.XQ, job.XQPacked, job.XD, part.Y, part.Rows, start, end, job.N);
                break;
            case DType.Q4:
                MatMulQ4.Panels(job.Variant, part.W, job.Cols, job.XQ8, job.XD, job.XS, part.Y, part.Rows, start, end, job.N);
                break;
        }
    }

    private struct MatMulPart
    {
        public byte* W;
        public float* Y;
        public int Rows, FirstItem, Items;
    }

    [InlineArray(3)]
    private struct MatMulParts
    {
        private MatMulPart first;
    }

    private struct MatMulJob
    {
        public MatMulParts Parts;
        public int PartCount;
        public short* XQ;   // q8_0 activations (int8 values as int16)
        public float* XD;   // q8_0 / q4 activation scales
        public sbyte* XQ8;  // q4 activations (int8)
        public short* XS;   // q4 activation sums per 32
        public float* X;
        public float* XPacked; // float inputs re-laid for the prefill tiles, or null
        public short* XQPacked; // q8_0 activations re-laid likewise, or null
        public int Cols, N;
        public DType DType;
        public KernelVariant Variant;

        /// <summary>Adds a weight's items after the previous ones; returns how many.</summary>
        public int Add(WeightMatrix? w, float* y)
        {
            if (w == null || w.Rows == 0) return 0;
            int first = PartCount == 0 ? 0 : Parts[PartCount - 1].FirstItem + Parts[PartCount - 1].Items;
            int items = (w.Rows + PanelRows - 1) / PanelRows;
            Parts[PartCount++] = new MatMulPart
            {
                W = w.Data, Y = y, Rows = w.Rows, FirstItem = first, Items = items,
            };
            return items;
        }
    }
}
