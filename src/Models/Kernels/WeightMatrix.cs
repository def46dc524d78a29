using System.Numerics.Tensors;

namespace SteerServer.Models.Kernels;

/// <summary>
/// A weight <c>[Rows, Cols]</c> in Hugging Face <c>Linear</c> layout (out_features × in_features), kept in its
/// <see cref="DType"/> (the storage; <see cref="WeightPacker"/> packs, <see cref="MatMulDispatch"/> runs the products). <see cref="MatMul(ReadOnlySpan{float}, Span{float}, int)"/> computes <c>y[n, Rows] = x[n, Cols] · Wᵀ</c>
/// in f32 on the <see cref="KernelThreadPool"/>, allocating nothing.
/// <para>
/// A checkpoint's tensor arrives row-major (a view of the mapped file); <see cref="WeightPacker.Pack"/>
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
/// <item>q4: panels of 16 rows of super-blocks of 256 columns (see <see cref="MatMulQ4"/>).</item>
/// </list>
/// </summary>
public sealed unsafe class WeightMatrix
{
    /// <summary>Rows per panel of the packed layouts: one Vector512 of f32 outputs.</summary>
    public const int PanelRows = 16;

    private readonly byte* data;
    private readonly object? owner; // keeps the mapping (or native buffer) alive

    /// <summary>A row-major view of <paramref name="data"/> (e.g. a mapped checkpoint tensor); pack it with <see cref="WeightPacker.Pack"/> before <see cref="MatMul(ReadOnlySpan{float}, Span{float}, int)"/>.</summary>
    public WeightMatrix(DType dtype, int rows, int cols, byte* data, object? owner)
        : this(dtype, rows, cols, data, owner, packed: false)
    {
    }

    internal WeightMatrix(DType dtype, int rows, int cols, byte* data, object? owner, bool packed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (dtype is DType.Q8_0 or DType.Q4 && cols % Quantize.BlockSize != 0)
            throw new ArgumentException($"{dtype} needs a column count that is a multiple of {Quantize.BlockSize}, got {cols}", nameof(cols));
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

    internal static long StorageBytes(DType dtype, int rows, int cols, bool packed)
    {
        long elements = packed ? (rows + PanelRows - 1) / PanelRows * (long)PanelRows * ((cols + 1) & ~1) : (long)rows * cols;
        return dtype switch
        {
            DType.F32 => elements * 4,
            DType.BF16 or DType.F16 => elements * 2,
            DType.Q8_0 => (rows + PanelRows - 1) / PanelRows * (long)(cols / Quantize.BlockSize) * MatMulQ8_0.BlockBytes,
            DType.Q4 => (rows + PanelRows - 1) / PanelRows * MatMulQ4.PanelBytes(cols),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    /// <summary>A packed f32 weight from row-major values, for tests and benchmarks.</summary>
    public static WeightMatrix FromArray(float[] values, int rows, int cols)
    {
        if (values.Length != rows * cols) throw new ArgumentException($"expected {rows}×{cols} values, got {values.Length}");
        fixed (float* p = values)
            return WeightPacker.Pack(new WeightMatrix(DType.F32, rows, cols, (byte*)p, values), DType.F32);
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
        => MatMulDispatch.Run(x, n, pool, a, ya, b, yb, c, yc, variant);

    internal static long Q8PanelOffset(int panel, int cols) => (long)panel * (cols / Quantize.BlockSize) * MatMulQ8_0.BlockBytes;

    /// <summary>First element of the panel holding <paramref name="row"/>: 16 rows × the columns rounded up to a pair.</summary>
    internal static long PanelStart(int row, int cols) => (long)(row / PanelRows) * PanelRows * ((cols + 1) & ~1);
    internal void RowToF32(int row, Span<float> destination)
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
                destination[c] = ((sbyte*)q8Panel)[MatMulQ8_0.Offset(j, c)] * MatMulBf16.ToSingle(*(ushort*)(q8Panel + MatMulQ8_0.ScaleOffset(j, c / Quantize.BlockSize)));
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
                    for (int c = 0; c < Cols; c++) destination[c] = MatMulBf16.ToSingle(((ushort*)data)[start + c]);
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
                for (int c = 0; c < Cols; c++) destination[c] = MatMulBf16.ToSingle(((ushort*)data)[panel + MatMulBf16.Index(lane, c)]);
                break;
            case DType.F16:
                for (int c = 0; c < Cols; c++) destination[c] = (float)((Half*)data)[panel + MatMulF16.Index(lane, c)];
                break;
            default:
                throw new NotSupportedException($"dtype {DType} is not supported by this kernel");
        }
    }
}
