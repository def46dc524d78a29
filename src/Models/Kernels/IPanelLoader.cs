using System.Runtime.Intrinsics;

namespace SteerServer.Models.Kernels;

/// <summary>
/// How one stored dtype lays out a weight panel (16 rows, see <see cref="WeightMatrix"/>) and reads a pair of its
/// columns as f32 vectors, converting in registers (nothing is expanded in memory). <see cref="MatMulFloat{TLoad}"/>
/// is written once over this interface; each dtype supplies a struct.
/// </summary>
internal unsafe interface IPanelLoader
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>Position of (lane, column) in a panel, in elements.</summary>
    static abstract nint Index(int lane, nint col);

    /// <summary>Columns 2·<paramref name="pair"/> and 2·<paramref name="pair"/>+1, all 16 lanes.</summary>
    static abstract void Load512(byte* panel, nint pair, out Vector512<float> even, out Vector512<float> odd);

    /// <summary>The same two columns, lanes 8·<paramref name="half"/> … 8·<paramref name="half"/>+7.</summary>
    static abstract void Load256(byte* panel, nint pair, int half, out Vector256<float> even, out Vector256<float> odd);

    /// <summary>One element.</summary>
    static abstract float LoadScalar(byte* panel, int lane, nint col);
}
