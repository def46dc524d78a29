using SteerServer.Models.Kernels;

namespace SteerServer.Models.Checkpoints;

/// <summary>Maps safetensors dtype strings to element sizes and to the compute kernels' <see cref="DType"/>.</summary>
public static class SafeTensorsDType
{
    /// <summary>Bytes per element of a safetensors dtype, or 0 when the dtype is unknown.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => 0,
    };

    /// <summary>The weight dtype for a stored dtype the engine can compute with (F32, BF16, F16), else null.</summary>
    public static DType? ToWeightDType(string dtype) => dtype switch
    {
        "F32" => DType.F32,
        "BF16" => DType.BF16,
        "F16" => DType.F16,
        _ => null,
    };
}
