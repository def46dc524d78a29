namespace SteerServer.Models.Kernels;

/// <summary>The names a user may give a <see cref="DType"/> (<c>--dtype</c>, configuration), case-insensitive.</summary>
public static class DTypeNames
{
    public static bool TryParse(string text, out DType dtype)
    {
        ArgumentNullException.ThrowIfNull(text);
        DType? parsed = text.ToLowerInvariant() switch
        {
            "f32" or "float32" => DType.F32,
            "bf16" or "bfloat16" => DType.BF16,
            "f16" or "float16" => DType.F16,
            "q8_0" => DType.Q8_0,
            "q4" => DType.Q4,
            _ => null,
        };
        dtype = parsed ?? default;
        return parsed.HasValue;
    }

    /// <summary>The short name of <paramref name="dtype"/>: f32, bf16, f16, q8_0, q4.</summary>
    public static string Name(DType dtype) => dtype switch
    {
        DType.F32 => "f32",
        DType.BF16 => "bf16",
        DType.F16 => "f16",
        DType.Q8_0 => "q8_0",
        DType.Q4 => "q4",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}
