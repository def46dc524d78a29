using SteerServer.Models.Checkpoints;

namespace SteerServer.Models.Inference;

/// <summary>
/// Mutable scratch of one forward over up to <see cref="Rows"/> token rows (prompt positions of one
/// sequence, or one new token of each sequence in a decode batch). Allocated once per size and reused:
/// the forward itself allocates nothing.
/// </summary>
internal sealed class RunState
{
    public RunState(ModelConfig config, int rows)
    {
        Rows = rows;
        int hidden = config.HiddenSize, qDim = config.NumAttentionHeads * config.HeadDim;
        int kvDim = config.NumKeyValueHeads * config.HeadDim, inter = config.IntermediateSize;
        X = new float[rows * hidden];
        Xb = new float[rows * hidden];
        Xb2 = new float[rows * hidden];
        Q = new float[rows * qDim];
        K = new float[rows * kvDim];
        V = new float[rows * kvDim];
        AttOut = new float[rows * qDim];
        Hb = new float[rows * inter];
        Hb2 = new float[rows * inter];
        Cos = new float[rows * (config.HeadDim / 2)];
        Sin = new float[rows * (config.HeadDim / 2)];
        Tokens = new int[rows];
        Positions = new int[rows];
        Caches = new CpuKvCache[rows];
        Offsets = new AttentionOffsets?[rows];
    }

    public int Rows { get; }

    public float[] X { get; }       // [rows, hiddenSize] residual stream
    public float[] Xb { get; }      // [rows, hiddenSize] RMSNorm output (attention / MLP input)
    public float[] Xb2 { get; }     // [rows, hiddenSize] o_proj / down_proj output
    public float[] Q { get; }       // [rows, numHeads * headDim]
    public float[] K { get; }       // [rows, numKvHeads * headDim]
    public float[] V { get; }       // [rows, numKvHeads * headDim]
    public float[] AttOut { get; }  // [rows, numHeads * headDim] attention output before o_proj
    public float[] Hb { get; }      // [rows, intermediateSize] gate, then silu(gate)·up
    public float[] Hb2 { get; }     // [rows, intermediateSize] up
    public float[] Cos { get; }     // [rows, headDim / 2] RoPE cos at each row's position
    public float[] Sin { get; }     // [rows, headDim / 2]
    public int[] Tokens { get; }    // [rows]
    public int[] Positions { get; } // [rows] absolute position of each row in its sequence
    public CpuKvCache[] Caches { get; }              // [rows] cache each row reads and appends to
    public AttentionOffsets?[] Offsets { get; }   // [rows] steering of each row (null = none)
}
