using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SteerServer.Models.Kernels;

/// <summary>
/// A row-major weight <c>[Rows, Cols]</c> in Hugging Face <c>Linear</c> layout (out_features × in_features),
/// kept in its stored <see cref="DType"/> (usually memory-mapped). <see cref="MatMul"/> computes
/// <c>y[n, Rows] = x[n, Cols] · Wᵀ</c> in f32.
/// </summary>
public sealed unsafe class WeightMatrix
{
    private readonly byte* data;
    private readonly object? owner; // keeps the mapping (or managed buffer) alive

    public WeightMatrix(DType dtype, int rows, int cols, byte* data, object? owner)
    {
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

    /// <summary>A managed f32 weight, for tests and random models.</summary>
    public static WeightMatrix FromArray(float[] values, int rows, int cols)
    {
        if (values.Length != rows * cols) throw new ArgumentException($"expected {rows}×{cols} values, got {values.Length}");
        var handle = GCHandle.Alloc(values, GCHandleType.Pinned);
        return new WeightMatrix(DType.F32, rows, cols, (byte*)handle.AddrOfPinnedObject(), new PinnedArray(handle));
    }

    /// <summary>Copies row <paramref name="row"/> into <paramref name="destination"/> as f32 (embedding lookup).</summary>
    public void GetRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        if (destination.Length < Cols) throw new ArgumentException("destination too short", nameof(destination));
        RowToF32(row, destination[..Cols]);
    }

    /// <summary><c>y[n, Rows] = x[n, Cols] · Wᵀ</c>.</summary>
    public void MatMul(ReadOnlySpan<float> x, Span<float> y, int n)
    {
        if (x.Length < n * Cols) throw new ArgumentException("x too short", nameof(x));
        if (y.Length < n * Rows) throw new ArgumentException("y too short", nameof(y));
        fixed (float* px = x)
        fixed (float* py = y)
        {
            nint xp = (nint)px, yp = (nint)py;
            int rows = Rows, cols = Cols;
            // Parallel over output rows: the summation order of each dot product does not depend on thread count.
            Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                () => new float[cols],
                (r, _, rowBuffer) =>
                {
                    RowToF32(r, rowBuffer);
                    var xs = new ReadOnlySpan<float>((float*)xp, n * cols);
                    var ys = new Span<float>((float*)yp, n * rows);
                    for (int i = 0; i < n; i++)
                        ys[i * rows + r] = TensorPrimitives.Dot(rowBuffer, xs.Slice(i * cols, cols));
                    return rowBuffer;
                },
                _ => { });
        }
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
            default:
                throw new NotSupportedException($"dtype {DType} is not supported by this kernel");
        }
    }

    private sealed class PinnedArray(GCHandle handle)
    {
        ~PinnedArray() => handle.Free();
    }
}
