using SteerServer.Models.Errors;
using SteerServer.Models.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerServer.Backends.Torch;

/// <summary>Turns <c>--device</c> and <c>--dtype</c> into libtorch's device and scalar type, loading libtorch on first use.</summary>
internal static class TorchDevices
{
    /// <summary>"cpu" (the default), "cuda" or "cuda:N"; anything else, or a device libtorch cannot reach, is a 400-style error naming --device.</summary>
    public static Device Parse(string? name)
    {
        EnsureNativeLoaded();
        var text = (name ?? "cpu").Trim().ToLowerInvariant();
        if (text == "cpu") return CPU;
        int index = 0;
        if (text != "cuda" && !(text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), out index) && index >= 0))
            throw SteerException.InvalidRequest($"--device must be cpu, cuda or cuda:N, got '{name}'", "device");
        // The CUDA build loads its CUDA libraries on request; on the CPU build this just reports false.
        if (!TryInitializeDeviceType(DeviceType.CUDA) || !cuda.is_available())
            throw SteerException.InvalidRequest(
                $"--device {text}: libtorch sees no CUDA device (this build carries libtorch-cpu unless built with -p:TorchRuntime=cuda; " +
                "see README, 'Running on a GPU')", "device");
        int count = cuda.device_count();
        if (index >= count)
            throw SteerException.InvalidRequest($"--device {text}: there are {count} CUDA device(s), numbered from 0", "device");
        return torch.device(DeviceType.CUDA, index);
    }

    /// <summary>
    /// The compute dtype: --dtype f32, bf16 or f16. By default f32 on the CPU (libtorch's CPU matmuls are fastest and the
    /// goldens exact in f32) and bf16 on CUDA (half the memory traffic, tensor cores, same exponent range as f32).
    /// </summary>
    public static ScalarType ComputeType(DType? dtype, Device device) => dtype switch
    {
        null => device.type == DeviceType.CPU ? ScalarType.Float32 : ScalarType.BFloat16,
        DType.F32 => ScalarType.Float32,
        DType.BF16 => ScalarType.BFloat16,
        DType.F16 => ScalarType.Float16,
        _ => throw SteerException.InvalidRequest($"--dtype {DTypeNames.Name(dtype.Value)}: the torch backend computes in f32, bf16 or f16", "dtype"),
    };

    public static string Name(ScalarType type) => type switch
    {
        ScalarType.Float32 => "f32",
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "f16",
        _ => type.ToString(),
    };

    public static ScalarType StoredType(DType dtype) => dtype switch
    {
        DType.F32 => ScalarType.Float32,
        DType.BF16 => ScalarType.BFloat16,
        DType.F16 => ScalarType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a checkpoint dtype"),
    };

    // TorchSharp loads libLibTorchSharp.so on first use and throws a long trace when it cannot; say what to do instead.
    private static void EnsureNativeLoaded()
    {
        try
        {
            InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            throw SteerException.InvalidRequest(
                "--backend torch: libtorch could not be loaded. On Debian 12 (GCC 12's libstdc++) TorchSharp's native library needs " +
                "tools/torch-loader-fix/torch-loader-fix.sh run on the build output (the torch build does it; see README, 'Running on a GPU'). " +
                $"TorchSharp said: {FirstLine(e)}", "backend");
        }
    }

    private static string FirstLine(Exception e)
    {
        var message = (e.InnerException ?? e).Message;
        int newline = message.IndexOf('\n');
        return newline < 0 ? message : message[..newline];
    }
}
