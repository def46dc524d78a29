namespace SteerServer.Models.Kernels;

/// <summary>Storage type of a weight tensor. Compute is always f32; weights stay in their stored type.</summary>
public enum DType
{
    F32,
    BF16,
    F16,
    /// <summary>llama.cpp's q8_0: blocks of 32 int8 values with one f16 scale per block; made at load time.</summary>
    Q8_0,
}
