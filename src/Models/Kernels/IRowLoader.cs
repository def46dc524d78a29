using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// Reads consecutive stored weights of one dtype as f32 vectors, in registers (nothing is expanded in memory).
/// <see cref="MatMulFloat{TLoad}"/> is written once over this interface; each dtype supplies a struct.
/// </summary>
internal unsafe interface IRowLoader
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>Elements [col, col + 16) from <paramref name="row"/> as f32.</summary>
    static abstract Vector512<float> Load512(byte* row, nint col);

    /// <summary>Elements [col, col + 8) from <paramref name="row"/> as f32.</summary>
    static abstract Vector256<float> Load256(byte* row, nint col);

    /// <summary>Element <paramref name="col"/> of <paramref name="row"/> as f32.</summary>
    static abstract float LoadScalar(byte* row, nint col);
}
