using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SteerServer.Models.Kernels;

/// <summary>
/// A row-major weight <c>[Rows, Cols]</c> in Hugging Face <c>Linear</c> layout (out_features × in_features),
/// kept in its stored <see cref="DType"/> (usually memory-mapped). <see cref="MatMul(ReadOnlySpan{float}, Span{float}, int)"/>
/// computes <c>y[n, Rows] = x[n, Cols] · Wᵀ</c> in f32 on the <see cref="KernelThreadPool"/>, allocating nothing.
/// <para>
/// Layout of <see cref="DType.Q8_0"/> data (made by <see cref="Quantize(WeightMatrix, DType)"/>): the int8 values
/// <c>[Rows, Cols]</c>, then at the next 64-byte boundary the f32 scales <c>[Rows, Cols/32]</c>, then 16 floats of padding.
/// </para>
/// </summary>
public sealed unsafe class WeightMatrix
{
    private readonly byte* data;
    private readonly object? owner; // keeps the mapping (or managed buffer) alive

    public WeightMatrix(DType dtype, int rows, int cols, byte* data, object? owner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (dtype == DType.Q8_0 && cols % Kernels.Quantize.BlockSize != 0)
            throw new ArgumentException($"q8_0 needs a column count that is a multiple of {Kernels.Quantize.BlockSize}, got {cols}", nameof(cols));
        DType = dtype;
        Rows = rows;
        Cols = cols;
        this.data = data;
        this.owner = owner;
    }

    public DType DType { get; }
    public int Rows { get; }
    public int Cols { get; }
    internal byte* Data => data;
    internal object? Owner => owner;

    /// <summary>Bytes one full pass over the weights reads (what a decode step streams from memory).</summary>
    public long ByteSize => DType switch
    {
        DType.F32 => (long)Rows * Cols * 4,
        DType.BF16 or DType.F16 => (long)Rows * Cols * 2,
        _ => (long)Rows * Cols + (long)Rows * (Cols / Kernels.Quantize.BlockSize) * 4,
    };

    /// <summary>A managed f32 weight, for tests and random models.</summary>
    public static WeightMatrix FromArray(float[] values, int rows, int cols)
    {
        if (values.Length != rows * cols) throw new ArgumentException($"expected {rows}×{cols} values, got {values.Length}");
        var handle = GCHandle.Alloc(values, GCHandleType.Pinned);
        return new WeightMatrix(DType.F32, rows, cols, (byte*)handle.AddrOfPinnedObject(), new PinnedArray(handle));
    }

    /// <summary>
    /// This weight converted to <paramref name="target"/> in new native memory: q8_0 (per 32-block absmax,
    /// as llama.cpp), bf16 (round to nearest even), f16, or f32. The same dtype returns <paramref name="source"/> itself,
    /// and so does q8_0 for a column count that is not a multiple of 32 (e.g. stories260K's intermediate size 172).
    /// </summary>
    public static WeightMatrix Quantize(WeightMatrix source, DType target)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.DType == target) return source;
        int rows = source.Rows, cols = source.Cols;
        // q8_0 blocks need whole 32-column blocks per row; like llama.cpp's quantizer, such a matrix keeps its dtype.
        if (target == DType.Q8_0 && cols % Kernels.Quantize.BlockSize != 0) return source;
        long bytes = target switch
        {
            DType.F32 => (long)rows * cols * 4,
            DType.BF16 or DType.F16 => (long)rows * cols * 2,
            DType.Q8_0 => Q8ScaleOffset(rows, cols) + ((long)rows * (cols / Kernels.Quantize.BlockSize) + 16) * 4,
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
        var buffer = new NativeBuffer(bytes);
        byte* dst = buffer.Pointer;
        var row = new float[cols];
        fixed (float* pr = row)
        {
            for (int r = 0; r < rows; r++)
            {
                source.RowToF32(r, row);
                switch (target)
                {
                    case DType.F32:
                        row.AsSpan().CopyTo(new Span<float>(dst + (long)r * cols * 4, cols));
                        break;
                    case DType.BF16:
                        {
                            var o = (ushort*)dst + (long)r * cols;
                            for (int c = 0; c < cols; c++) o[c] = ToBf16(row[c]);
                            break;
                        }
                    case DType.F16:
                        TensorPrimitives.ConvertToHalf(row, new Span<Half>(dst + (long)r * cols * 2, cols));
                        break;
                    case DType.Q8_0:
                        Kernels.Quantize.RowQ8_0(pr, cols, (sbyte*)dst + (long)r * cols,
                            (float*)(dst + Q8ScaleOffset(rows, cols)) + (long)r * (cols / Kernels.Quantize.BlockSize), KernelDispatch.BestVariant);
                        break;
                }
            }
        }
        return new WeightMatrix(target, rows, cols, dst, buffer);
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
    public void MatMul(ReadOnlySpan<float> x, Span<float> y, int n, KernelThreadPool pool, KernelVariant variant = KernelVariant.Auto)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (x.Length < (long)n * Cols) throw new ArgumentException($"x has {x.Length} values, needs {n}×{Cols}", nameof(x));
        if (y.Length < (long)n * Rows) throw new ArgumentException($"y has {y.Length} values, needs {n}×{Rows}", nameof(y));
        if (n == 0 || Rows == 0) return;
        if (Cols == 0) { y[..(n * Rows)].Clear(); return; }
        fixed (float* px = x)
        fixed (float* py = y)
        {
            var job = new MatMulJob
            {
                W = data, Rows = Rows, Cols = Cols, X = px, Y = py, N = n,
                DType = DType, Variant = KernelDispatch.Resolve(variant),
            };
            if (DType == DType.Q8_0)
            {
                // Quantise the activations once (int8 + one scale per block); the kernel reads them for every row.
                int blocks = Cols / Kernels.Quantize.BlockSize;
                var scratch = Q8Scratch.Get((long)n * Cols, (long)n * blocks + 16);
                job.XQ = scratch.Q;
                job.XD = scratch.D;
                job.WD = (float*)(data + Q8ScaleOffset(Rows, Cols));
                for (int i = 0; i < n; i++)
                    Kernels.Quantize.RowQ8_0(px + (long)i * Cols, Cols, job.XQ + (long)i * Cols, job.XD + (long)i * blocks, job.Variant);
            }
            int tiles = (Rows + 3) / 4;
            pool.Run(&RunTiles, &job, tiles, ChunkTiles(tiles, n, pool.ThreadCount));
        }
    }

    /// <summary>Row tiles (of 4 rows) per work item: small enough that a chunk of weights stays in L2 while all inputs pass
    /// over it and that threads can even out, large enough that tiny products stay on the calling thread.</summary>
    private int ChunkTiles(int tiles, int n, int threads)
    {
        long macs = (long)Rows * Cols * n;
        if (threads == 1 || macs < 64 * 1024) return tiles; // not worth waking a thread
        long rowBytes = DType switch { DType.F32 => 4L * Cols, DType.Q8_0 => Cols + Cols / 8, _ => 2L * Cols };
        int byCache = (int)Math.Clamp(96 * 1024 / (4 * rowBytes), 1, int.MaxValue);
        int byBalance = Math.Max(1, tiles / (threads * 4));
        return Math.Min(byCache, byBalance);
    }

    private static void RunTiles(void* context, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<MatMulJob>(context);
        int r0 = start * 4, r1 = Math.Min(end * 4, job.Rows);
        switch (job.DType)
        {
            case DType.F32: MatMulFloat<MatMulF32>.Rows(job.Variant, job.W, job.Cols, job.X, job.Y, job.Rows, r0, r1, job.N); break;
            case DType.BF16: MatMulFloat<MatMulBf16>.Rows(job.Variant, job.W, job.Cols, job.X, job.Y, job.Rows, r0, r1, job.N); break;
            case DType.F16: MatMulFloat<MatMulF16>.Rows(job.Variant, job.W, job.Cols, job.X, job.Y, job.Rows, r0, r1, job.N); break;
            case DType.Q8_0: MatMulQ8_0.Rows(job.Variant, (sbyte*)job.W, job.WD, job.Cols, job.XQ, job.XD, job.Y, job.Rows, r0, r1, job.N); break;
        }
    }

    private struct MatMulJob
    {
        public byte* W;
        public float* WD;   // q8_0 weight scales
        public sbyte* XQ;   // q8_0 activations
        public float* XD;   // q8_0 activation scales
        public float* X;
        public float* Y;
        public int Rows, Cols, N;
        public DType DType;
        public KernelVariant Variant;
    }

    private static long Q8ScaleOffset(int rows, int cols) => ((long)rows * cols + 63) & ~63L;

    private static ushort ToBf16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40); // keep it a NaN
        bits += 0x7FFF + ((bits >> 16) & 1); // round to nearest, ties to even
        return (ushort)(bits >> 16);
    }

    private void RowToF32(int row, Span<float> destination)
    {
        switch (DType)
        {
            case DType.F32:
                new ReadOnlySpan<float>(data + (long)row * Cols * 4, Cols).CopyTo(destination);
                break;
            case DType.BF16:
                {
                    var src = new ReadOnlySpan<ushort>(data + (long)row * Cols * 2, Cols);
                    for (int c = 0; c < src.Length; c++) destination[c] = BitConverter.Int32BitsToSingle(src[c] << 16);
                    break;
                }
            case DType.F16:
                {
                    var src = new ReadOnlySpan<Half>(data + (long)row * Cols * 2, Cols);
                    TensorPrimitives.ConvertToSingle(src, destination);
                    break;
                }
            case DType.Q8_0:
                {
                    int blocks = Cols / Kernels.Quantize.BlockSize;
                    var q = (sbyte*)data + (long)row * Cols;
                    var d = (float*)(data + Q8ScaleOffset(Rows, Cols)) + (long)row * blocks;
                    for (int c = 0; c < Cols; c++) destination[c] = q[c] * d[c / Kernels.Quantize.BlockSize];
                    break;
                }
            default:
                throw new NotSupportedException($"dtype {DType} is not supported by this kernel");
        }
    }

    private sealed class PinnedArray(GCHandle handle)
    {
        ~PinnedArray() => handle.Free();
    }

    /// <summary>64-byte aligned native memory freed with its owner.</summary>
    private sealed class NativeBuffer
    {
        public NativeBuffer(long bytes)
        {
            Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
            Bytes = bytes;
            GC.AddMemoryPressure(Math.Max(bytes, 1));
        }

        public byte* Pointer { get; }
        public long Bytes { get; }

        ~NativeBuffer()
        {
            NativeMemory.AlignedFree(Pointer);
            GC.RemoveMemoryPressure(Math.Max(Bytes, 1));
        }
    }

    /// <summary>Per-thread activation scratch for q8_0 products, grown on demand and then reused (no per-call allocation).</summary>
    private sealed class Q8Scratch
    {
        [ThreadStatic] private static Q8Scratch? current;
        private sbyte[] q = [];
        private float[] d = [];

        public sbyte* Q => (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(q));
        public float* D => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(d));

        public static Q8Scratch Get(long qLength, long dLength)
        {
            var s = current ??= new Q8Scratch();
            if (s.q.Length < qLength) s.q = GC.AllocateUninitializedArray<sbyte>((int)qLength, pinned: true);
            if (s.d.Length < dLength) s.d = GC.AllocateUninitializedArray<float>((int)dLength, pinned: true);
            return s;
        }
    }
}
