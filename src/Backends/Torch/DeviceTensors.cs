using System.Runtime.InteropServices;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerServer.Backends.Torch;

/// <summary>Moves bytes between host memory and device tensors without building managed copies of weights.</summary>
internal static unsafe class DeviceTensors
{
    /// <summary>Bytes staged in host memory at a time while a weight is copied to its device tensor.</summary>
    private const long StagingBytes = 64L << 20;

    /// <summary>
    /// A checkpoint tensor of exactly <paramref name="shape"/> as a new tensor of <paramref name="type"/> on <paramref name="device"/>.
    /// The memory-mapped bytes go through a bounded CPU staging tensor (native memory) and <c>copy_</c>, which converts the dtype.
    /// </summary>
    public static Tensor Load(Checkpoint checkpoint, string name, long[] shape, ScalarType type, Device device)
    {
        var result = empty(shape, type, device);
        try
        {
            LoadInto(result, checkpoint, name, shape);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Copies the checkpoint tensor <paramref name="name"/> (exactly <paramref name="shape"/>) into <paramref name="destination"/> (a view of that shape).</summary>
    public static void LoadInto(Tensor destination, Checkpoint checkpoint, string name, long[] shape)
    {
        byte* data = checkpoint.GetData(name, shape, out var stored);
        var storedType = TorchDevices.StoredType(stored);
        long rows = shape[0], rowBytes = rows == 0 ? 0 : checkpoint.Info(name).ByteLength / rows;
        if (rows == 0 || rowBytes == 0) return;
        long chunkRows = Math.Max(1, StagingBytes / rowBytes);
        var stagingShape = (long[])shape.Clone();
        stagingShape[0] = Math.Min(chunkRows, rows);
        using var staging = empty(stagingShape, storedType, CPU);
        for (long row = 0; row < rows; row += chunkRows)
        {
            long n = Math.Min(chunkRows, rows - row);
            using var part = staging.narrow(0, 0, n);
            new ReadOnlySpan<byte>(data + row * rowBytes, checked((int)(n * rowBytes))).CopyTo(part.bytes);
            using var target = destination.narrow(0, row, n);
            target.copy_(part);
        }
        // The device tensor holds the weights now: the mapped pages would only double the resident memory.
        PageAdvice.DropMapped(data, rows * rowBytes);
    }

    /// <summary>A new tensor of <paramref name="shape"/> on <paramref name="device"/> holding <paramref name="values"/> (host data such as token ids).</summary>
    public static Tensor Upload<T>(ReadOnlySpan<T> values, long[] shape, ScalarType type, Device device) where T : unmanaged
    {
        var host = empty(shape, type, CPU);
        MemoryMarshal.AsBytes(values).CopyTo(host.bytes);
        if (device.type == DeviceType.CPU) return host;
        using (host) return host.to(device);
    }

    /// <summary>Copies a float32 tensor (any device) into <paramref name="destination"/>, element for element.</summary>
    public static void Download(Tensor values, Span<float> destination)
    {
        using var host = values.to(ScalarType.Float32, CPU);
        using var packed = host.contiguous();
        MemoryMarshal.Cast<byte, float>(packed.bytes).CopyTo(destination);
    }
}
