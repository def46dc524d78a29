namespace SteerServer.Models.Kernels;

/// <summary>Storage type of a weight tensor. Compute is always f32; weights stay in their stored type.</summary>
public enum DType
{
    F32,
    BF16,
    F16,
    /// <summary>llama.cpp's q8_0: blocks of 32 int8 values with one f16 scale per block; made at load time.</summary>
    Q8_0,
    /// <summary>
    /// 4-bit codes with an 8-bit scale and min per 32 values and a bf16 scale and min per 256 (like llama.cpp's Q4_K,
    /// 4.625 bits per weight; see <see cref="MatMulQ4"/>); made at load time.
    /// </summary>
    Q4,
}
