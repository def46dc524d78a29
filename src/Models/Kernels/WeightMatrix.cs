using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SteerServer.Models.Kernels;

/// <summary>
/// A weight <c>[Rows, Cols]</c> in Hugging Face <c>Linear</c> layout (out_features × in_features), kept in its
/// <see cref="DType"/>. <see cref="MatMul(ReadOnlySpan{float}, Span{float}, int)"/> computes <c>y[n, Rows] = x[n, Cols] · Wᵀ</c>
/// in f32 on the <see cref="KernelThreadPool"/>, allocating nothing.
/// <para>
/// A checkpoint's tensor arrives row-major (a view of the mapped file); <see cref="Quantize(WeightMatrix, DType, WeightArena?)"/>
/// makes the layout the kernels read:
/// </para>
/// <list type="bullet">
/// <item>f32/bf16/f16: <b>panels</b> of <see cref="PanelRows"/> rows stored column by column (an odd column count is
/// padded with a zero column): one vector load is one column of 16 rows, so each vector lane accumulates one output
/// row (no horizontal sums) and the weights stream sequentially. f32 keeps the columns in order; bf16/f16 interleave
/// each column pair so that one 64-byte load holds both (see <see cref="MatMulBf16"/>). The last panel is padded with
/// zero rows.</item>
/// <item>q8_0: panels of 16 rows too, each a sequence of blocks of 32 columns; a block is 16 column pairs of
/// 16 rows × 2 int8 (element (j, c) of the block at <c>(c / 2) · 32 + 2j + c % 2</c>), then the 16 rows' scales in bf16:
/// 544 bytes per 16 × 32 weights (see <see cref="MatMulQ8_0"/>). The last panel is padded with zero rows.</item>
/// </list>
/// </summary>
public sealed unsafe class WeightMatrix
{
    /// <summary>Rows per panel of the packed layouts: one Vector512 of f32 outputs.</summary>
    public const int PanelRows = 16;

    private readonly byte* data;
    private readonly object? owner; // keeps the mapping (or native buffer) alive

    /// <summary>A row-major view of <paramref name="data"/> (e.g. a mapped checkpoint tensor); pack it with <see cref="Quantize"/> before <see cref="MatMul(ReadOnlySpan{float}, Span{float}, int)"/>.</summary>
    public WeightMatrix(DType dtype, int rows, int cols, byte* data, object? owner)
        : this(dtype, rows, cols, data, owner, packed: false)
    {
    }

    private WeightMatrix(DType dtype, int rows, int cols, byte* data, object? owner, bool packed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (dtype is DType.Q8_0 or DType.Q4 && cols % Kernels.Quantize.BlockSize != 0)
            throw new ArgumentException($"{dtype} needs a column count that is a multiple of {Kernels.Quantize.BlockSize}, got {cols}", nameof(cols));
        DType = dtype;
        Rows = rows;
        Cols = cols;
        this.data = data;
        this.owner = owner;
        IsPacked = packed || dtype is DType.Q8_0 or DType.Q4; // the quantised dtypes have one layout
    }

    public DType DType { get; }
    public int Rows { get; }
    public int Cols { get; }

    /// <summary>In the layout the kernels read (see the class summary); a row-major view is not.</summary>
    public bool IsPacked { get; }

    internal byte* Data => data;
    internal object? Owner => owner;

    /// <summary>Bytes one full pass over the weights reads (what a decode step streams from memory).</summary>
    public long ByteSize => StorageBytes(DType, Rows, Cols, IsPacked);

    private static long StorageBytes(DType dtype, int rows, int cols, bool packed)
    {
        long elements = packed ? (rows + PanelRows - 1) / PanelRows * (long)PanelRows * ((cols + 1) & ~1) : (long)rows * cols;
        return dtype switch
        {
            DType.F32 => elements * 4,
            DType.BF16 or DType.F16 => elements * 2,
            DType.Q8_0 => (rows + PanelRows - 1) / PanelRows * (long)(cols / Kernels.Quantize.BlockSize) * MatMulQ8_0.BlockBytes,
            DType.Q4 => (rows + PanelRows - 1) / PanelRows * MatMulQ4.PanelBytes(cols),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    /// <summary>A packed f32 weight from row-major values, for tests and benchmarks.</summary>
    public static WeightMatrix FromArray(float[] values, int rows, int cols)
    {
        if (values.Length != rows * cols) throw new ArgumentException($"expected {rows}×{cols} values, got {values.Length}");
        fixed (float* p = values)
            return Quantize(new WeightMatrix(DType.F32, rows, cols, (byte*)p, values), DType.F32);
    }

    /// <summary>
    /// This weight in <paramref name="target"/> and the kernels' layout, in new native memory (from <paramref name="arena"/>
    /// if given): q8_0 (per 32-block absmax, as llama.cpp), bf16 (round to nearest even), f16, or f32. q8_0 of a column
    /// count that is not a multiple of 32 (e.g. stories260K's intermediate size 172) keeps the source dtype, as llama.cpp's
    /// quantizer does. A weight already packed in the target dtype is returned as it is.
    /// </summary>
    public static WeightMatrix Quantize(WeightMatrix source, DType target, WeightArena? arena = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        int rows = source.Rows, cols = source.Cols;
        if (target is DType.Q8_0 or DType.Q4 && cols % Kernels.Quantize.BlockSize != 0) target = source.DType;
        if (source.DType == target && source.IsPacked) return source;
        long bytes = StorageBytes(target, rows, cols, packed: true);
        var (pointer, owner) = (arena ?? new WeightArena(Math.Max(bytes, 64))).Allocate(bytes);
        byte* dst = (byte*)pointer;
        NativeMemory.Clear(dst, (nuint)bytes); // the last panel's padding rows stay zero
        var row = new float[cols];
        fixed (float* pr = row)
        {
            for (int r = 0; r < rows; r++)
            {
                source.RowToF32(r, row);
                long panel = PanelStart(r, cols);
                int lane = r % PanelRows;
                switch (target)
                {
                    case DType.F32:
                        for (int c = 0; c < cols; c++) ((float*)dst)[panel + MatMulF32.Index(lane, c)] = row[c];
                        break;
                    case DType.BF16:
                        for (int c = 0; c < cols; c++) ((ushort*)dst)[panel + MatMulBf16.Index(lane, c)] = ToBf16(row[c]);
                        break;
                    case DType.F16:
                        for (int c = 0; c < cols; c++) ((Half*)dst)[panel + MatMulF16.Index(lane, c)] = (Half)row[c];
                        break;
                    case DType.Q8_0:
                        MatMulQ8_0.PackRow(pr, cols, dst + Q8PanelOffset(r / PanelRows, cols), lane);
                        break;
                    case DType.Q4:
                        MatMulQ4.PackRow(pr, cols, dst + r / PanelRows * MatMulQ4.PanelBytes(cols), lane);
                        break;
                }
            }
        }
        return new WeightMatrix(target, rows, cols, dst, owner, packed: true);
    }

    /// <summary>Copies row <paramref name="row"/> into <paramref name="destination"/> as f32 (embedding lookup).</summary>
    public void GetRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        if (destination.Length < Cols) throw new ArgumentException("destination too short", nameof(destination));
        RowToF32(row, destination[..Cols]);
    }

    /// <summary><c>y[n, Rows] = x[n, Cols] · Wᵀ</c> on <see cref="KernelThreadPool.Default"/>.</summary>
    public void MatMul(ReadOnlySpan<float> x, Span<float> y, int n) => MatMul(x, y, n, KernelThreadPool.Default);

    /// <summary><c>y[n, Rows] = x[n, Cols] · Wᵀ</c> on <paramref name="pool"/>; <paramref name="variant"/> forces a kernel width (tests, benchmarks).</summary>
    public void MatMul(ReadOnlySpan<float> x, Span<float> y, int n, KernelThreadPool pool, KernelVariant variant = KernelVariant.Auto) =>
        MatMul(x, n, pool, this, y, null, default, null, default, variant);

    /// <summary>
    /// The products of up to three weights that share their input (q/k/v, gate/up) in one pass over the pool:
    /// one hand-off instead of three, and a q8_0 input quantised once. The weights must agree in dtype and columns.
    /// </summary>
    public static void MatMul(ReadOnlySpan<float> x, int n, KernelThreadPool pool,
        WeightMatrix a, Span<float> ya, WeightMatrix? b, Span<float> yb, WeightMatrix? c, Span<float> yc,
        KernelVariant variant = KernelVariant.Auto)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int cols = a.Cols;
        if (x.Length < (long)n * cols) throw new ArgumentException($"x has {x.Length} values, needs {n}×{cols}", nameof(x));
        a.CheckOutput(ya, n, a);
        b?.CheckOutput(yb, n, a);
        c?.CheckOutput(yc, n, a);
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
                var scratch = Q8Scratch.Get((long)n * cols / 2 + 1, (long)n * supers, (long)n * stride);
                job.XQ8 = (sbyte*)scratch.Q;
                job.XD = scratch.D;
                job.XS = scratch.S;
                for (int i = 0; i < n; i++)
                    Kernels.Quantize.RowQ8_K(px + (long)i * cols, cols, job.XQ8 + (long)i * cols, job.XD + (long)i * supers, job.XS + (long)i * stride, job.Variant);
            }
            else if (job.DType == DType.Q8_0)
            {
                // Quantise the activations once (int8 values held in int16, one scale per block); every panel reads them.
                int blocks = cols / Kernels.Quantize.BlockSize;
                var scratch = Q8Scratch.Get((long)n * cols, (long)n * blocks, 0);
                job.XQ = scratch.Q;
                job.XD = scratch.D;
                for (int i = 0; i < n; i++)
                    Kernels.Quantize.RowQ8_0To16(px + (long)i * cols, cols, job.XQ + (long)i * cols, job.XD + (long)i * blocks, job.Variant);
            }
            pool.Run(&RunItems, &job, items, ChunkItems(job.DType, cols, items, n, pool.ThreadCount));
        }
    }

    private void CheckOutput(Span<float> y, int n, WeightMatrix first)
    {
        if (DType != first.DType || Cols != first.Cols)
            throw new ArgumentException($"weights computed together must agree in dtype and columns: {first.DType} ×{first.Cols} and {DType} ×{Cols}");
        if (y.Length < (long)n * Rows) throw new ArgumentException($"y has {y.Length} values, needs {n}×{Rows}", nameof(y));
        if (!IsPacked) throw new InvalidOperationException("a row-major view must be packed with WeightMatrix.Quantize before MatMul");
    }

    /// <summary>Items per chunk: small enough that a chunk of weights stays in L2 while all inputs pass over it and that
    /// threads can even out, large enough that tiny products stay on the calling thread.</summary>
    private static int ChunkItems(DType dtype, int cols, int items, int n, int threads)
    {
        long macs = (long)items * PanelRows * cols * n;
        if (threads == 1 || macs < 64 * 1024) return items; // not worth waking a thread
        long itemBytes = StorageBytes(dtype, PanelRows, cols, packed: true);
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
            case DType.F32: MatMulFloat<MatMulF32>.Panels(job.Variant, part.W, job.Cols, job.X, part.Y, part.Rows, start, end, job.N); break;
            case DType.BF16: MatMulFloat<MatMulBf16>.Panels(job.Variant, part.W, job.Cols, job.X, part.Y, part.Rows, start, end, job.N); break;
            case DType.F16: MatMulFloat<MatMulF16>.Panels(job.Variant, part.W, job.Cols, job.X, part.Y, part.Rows, start, end, job.N); break;
            case DType.Q8_0:
                MatMulQ8_0.Panels(job.Variant, part.W, job.Cols, job.XQ, job.XD, part.Y, part.Rows, start, end, job.N);
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
                W = w.data, Y = y, Rows = w.Rows, FirstItem = first, Items = items,
            };
            return items;
        }
    }

    private static long Q8PanelOffset(int panel, int cols) => (long)panel * (cols / Kernels.Quantize.BlockSize) * MatMulQ8_0.BlockBytes;

    /// <summary>First element of the panel holding <paramref name="row"/>: 16 rows × the columns rounded up to a pair.</summary>
    private static long PanelStart(int row, int cols) => (long)(row / PanelRows) * PanelRows * ((cols + 1) & ~1);

    private static ushort ToBf16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40); // keep it a NaN
        bits += 0x7FFF + ((bits >> 16) & 1); // round to nearest, ties to even
        return (ushort)(bits >> 16);
    }

    private void RowToF32(int row, Span<float> destination)
    {
        if (DType == DType.Q4)
        {
            byte* q4Panel = data + row / PanelRows * MatMulQ4.PanelBytes(Cols);
            for (int c = 0; c < Cols; c++) destination[c] = MatMulQ4.Dequantize(q4Panel, Cols, row % PanelRows, c);
            return;
        }
        if (DType == DType.Q8_0)
        {
            byte* q8Panel = data + Q8PanelOffset(row / PanelRows, Cols);
            int j = row % PanelRows;
            for (int c = 0; c < Cols; c++)
                destination[c] = ((sbyte*)q8Panel)[MatMulQ8_0.Offset(j, c)] * MatMulQ8_0.ScaleToF32(*(ushort*)(q8Panel + MatMulQ8_0.ScaleOffset(j, c / Kernels.Quantize.BlockSize)));
            return;
        }
        if (!IsPacked)
        {
            // A row of a checkpoint view is contiguous: one dtype decision per row, not per element (this runs for
            // every row at load).
            long start = (long)row * Cols;
            switch (DType)
            {
                case DType.F32:
                    new ReadOnlySpan<float>((float*)data + start, Cols).CopyTo(destination);
                    break;
                case DType.BF16:
                    for (int c = 0; c < Cols; c++) destination[c] = BitConverter.Int32BitsToSingle(((ushort*)data)[start + c] << 16);
                    break;
                default:
                    TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)data + start, Cols), destination);
                    break;
            }
            return;
        }
        long panel = PanelStart(row, Cols);
        int lane = row % PanelRows;
        switch (DType)
        {
            case DType.F32:
                for (int c = 0; c < Cols; c++) destination[c] = ((float*)data)[panel + MatMulF32.Index(lane, c)];
                break;
            case DType.BF16:
                for (int c = 0; c < Cols; c++) destination[c] = BitConverter.Int32BitsToSingle(((ushort*)data)[panel + MatMulBf16.Index(lane, c)] << 16);
                break;
            case DType.F16:
                for (int c = 0; c < Cols; c++) destination[c] = (float)((Half*)data)[panel + MatMulF16.Index(lane, c)];
                break;
            default:
                throw new NotSupportedException($"dtype {DType} is not supported by this kernel");
        }
    }

    /// <summary>Per-thread activation scratch for q8_0 products, grown on demand and then reused (no per-call allocation).</summary>
    private sealed class Q8Scratch
    {
        [ThreadStatic] private static Q8Scratch? current;
        private short[] q = [];
        private float[] d = [];
        private short[] sums = [];

        public short* Q => (short*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(q));
        public float* D => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(d));
        public short* S => (short*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(sums));

        public static Q8Scratch Get(long qLength, long dLength, long sLength)
        {
            var s = current ??= new Q8Scratch();
            if (s.q.Length < qLength) s.q = GC.AllocateUninitializedArray<short>((int)qLength, pinned: true);
            if (s.d.Length < dLength) s.d = GC.AllocateUninitializedArray<float>((int)dLength, pinned: true);
            if (s.sums.Length < sLength) s.sums = GC.AllocateUninitializedArray<short>((int)sLength, pinned: true);
            return s;
        }
    }
}
