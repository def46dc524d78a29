using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SteerServer.Models.Errors;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>Load-time conversion of a weight to another storage type (into pinned managed memory).</summary>
internal static unsafe class WeightConversion
{
    public static WeightMatrix To(WeightMatrix w, DType target)
    {
        if (w.DType == target) return w;
        int rows = w.Rows, cols = w.Cols;
        long total = (long)rows * cols;
        if (total > Array.MaxLength) throw SteerException.InvalidModel("weights", $"a {rows}×{cols} matrix is too large to convert");
        var row = new float[cols];
        switch (target)
        {
            case DType.F32:
                {
                    var data = GC.AllocateUninitializedArray<float>((int)total, pinned: true);
                    for (int r = 0; r < rows; r++) w.GetRow(r, data.AsSpan(r * cols, cols));
                    return new WeightMatrix(DType.F32, rows, cols, (byte*)Unsafe.AsPointer(ref data[0]), data);
                }
            case DType.BF16:
            case DType.F16:
                {
                    var data = GC.AllocateUninitializedArray<ushort>((int)total, pinned: true);
                    for (int r = 0; r < rows; r++)
                    {
                        w.GetRow(r, row);
                        var dst = data.AsSpan(r * cols, cols);
                        if (target == DType.F16) TensorPrimitives.ConvertToHalf(row, MemoryMarshal.Cast<ushort, Half>(dst));
                        else for (int c = 0; c < cols; c++) dst[c] = ToBf16(row[c]);
                    }
                    return new WeightMatrix(target, rows, cols, (byte*)Unsafe.AsPointer(ref data[0]), data);
                }
            default:
                throw SteerException.Unsupported("dtype", $"load-time conversion to {target} is not available in this build");
        }
    }

    /// <summary>f32 → bf16 with round-to-nearest-even (what torch's <c>.to(torch.bfloat16)</c> does); NaN stays NaN.</summary>
    private static ushort ToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
