using System.Runtime.InteropServices;

namespace SteerServer.Models.Kernels;

/// <summary>
/// Packing at load: a checkpoint's row-major tensor (or a packed weight) into the panel layout the kernels read, in
/// the requested dtype (see <see cref="WeightMatrix"/> for the layouts).
/// </summary>
public static unsafe class WeightPacker
{
    /// <summary>
    /// <paramref name="source"/> in <paramref name="target"/> and the kernels' layout, in new native memory (from <paramref name="arena"/>
    /// if given): q8_0 (per 32-block absmax, as llama.cpp), q4 (<see cref="MatMulQ4"/>), bf16 (round to nearest even), f16,
    /// or f32. q8_0 or q4 of a column count that is not a multiple of 32 (e.g. stories260K's intermediate size 172) keeps
    /// the source dtype, as llama.cpp's quantizer keeps a wider type. A weight already packed in the target dtype is returned as it is.
    /// </summary>
    public static WeightMatrix Pack(WeightMatrix source, DType target, WeightArena? arena = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        int rows = source.Rows, cols = source.Cols;
        if (target is DType.Q8_0 or DType.Q4 && cols % Quantize.BlockSize != 0) target = source.DType;
        if (source.DType == target && source.IsPacked) return source;
        long bytes = WeightMatrix.StorageBytes(target, rows, cols, packed: true);
        var (pointer, owner) = (arena ?? new WeightArena(Math.Max(bytes, 64))).Allocate(bytes);
        byte* dst = (byte*)pointer;
        NativeMemory.Clear(dst, (nuint)bytes); // the last panel's padding rows stay zero
        // Panels are disjoint memory, so they pack in parallel: q4's least-squares fit made an 8B model's load take minutes on one core.
        nint to = (nint)dst;
        Parallel.For(0, (rows + WeightMatrix.PanelRows - 1) / WeightMatrix.PanelRows, () => new float[WeightMatrix.PanelRows * cols], (p, _, panelRows) =>
        {
            int first = p * WeightMatrix.PanelRows, valid = Math.Min(rows - first, WeightMatrix.PanelRows);
            if (target == DType.Q4)
            {
                // q4 fits its scales for the panel's 16 rows at once.
                for (int j = 0; j < valid; j++) source.RowToF32(first + j, panelRows.AsSpan(j * cols, cols));
                fixed (float* pr = panelRows) MatMulQ4.PackPanel(pr, valid, cols, (byte*)to + p * MatMulQ4.PanelBytes(cols));
            }
            else
            {
                for (int j = 0; j < valid; j++) PackRow(source, first + j, target, (byte*)to, panelRows);
            }
            return panelRows;
        }, _ => { });
        return new WeightMatrix(target, rows, cols, dst, owner, packed: true);
    }

    private static void PackRow(WeightMatrix source, int r, DType target, byte* dst, float[] row)
    {
        int cols = source.Cols;
        source.RowToF32(r, row.AsSpan(0, cols));
        long panel = WeightMatrix.PanelStart(r, cols);
        int lane = r % WeightMatrix.PanelRows;
        fixed (float* pr = row)
        {
            switch (target)
            {
                case DType.F32:
                    for (int c = 0; c < cols; c++) ((float*)dst)[panel + MatMulF32.Index(lane, c)] = row[c];
                    break;
                case DType.BF16:
                    for (int c = 0; c < cols; c++) ((ushort*)dst)[panel + MatMulBf16.Index(lane, c)] = MatMulBf16.FromSingle(row[c]);
                    break;
                case DType.F16:
                    for (int c = 0; c < cols; c++) ((Half*)dst)[panel + MatMulF16.Index(lane, c)] = (Half)row[c];
                    break;
                case DType.Q8_0:
                    MatMulQ8_0.PackRow(pr, cols, dst + WeightMatrix.Q8PanelOffset(r / WeightMatrix.PanelRows, cols), lane);
                    break;
            }
        }
    }
}
