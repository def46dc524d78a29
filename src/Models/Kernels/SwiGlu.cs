using System.Numerics.Tensors;

namespace SteerServer.Models.Kernels;

/// <summary>The Llama MLP activation: <c>gate = silu(gate) · up</c> with <c>silu(x) = x · sigmoid(x)</c>.</summary>
public static class SwiGlu
{
    /// <summary>
    /// Result in <paramref name="gate"/>; <paramref name="up"/> is used as scratch (it is overwritten with gate·up),
    /// which saves a temporary: three vectorised TensorPrimitives passes over cache-hot rows.
    /// </summary>
    public static void Forward(Span<float> gate, Span<float> up)
    {
        if (up.Length < gate.Length) throw new ArgumentException("SwiGlu: up shorter than gate");
        var u = up[..gate.Length];
        TensorPrimitives.Multiply(u, gate, u);       // up   = gate · up
        TensorPrimitives.Sigmoid(gate, gate);        // gate = sigmoid(gate)
        TensorPrimitives.Multiply(gate, u, gate);    // gate = sigmoid(gate) · gate · up
    }
}
