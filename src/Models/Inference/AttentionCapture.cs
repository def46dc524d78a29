namespace SteerServer.Models.Inference;

/// <summary>
/// Per-layer attention statistics recorded during <see cref="IModelBackend.Forward"/> for Influence /
/// Attention Rollout. Covers absolute positions <c>0 … Length−1</c>; a forward fills the rows of the
/// positions it processes. Per layer l:
/// <list type="bullet">
/// <item><see cref="AvgAttention"/>[l]: [Length * Length] post-softmax attention averaged over query heads (row i = query i; masked cells 0).</item>
/// <item><see cref="InputNormL1"/>[l]: [Length] row-wise L1 norm of the attention input X_l (after the input RMSNorm).</item>
/// <item><see cref="OutputNormL1"/>[l]: [Length] row-wise L1 norm of the attention output O_l (after o_proj).</item>
/// </list>
/// </summary>
public sealed class AttentionCapture
{
    public AttentionCapture(int numLayers, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numLayers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        NumLayers = numLayers;
        Length = length;
        AvgAttention = new float[numLayers][];
        InputNormL1 = new float[numLayers][];
        OutputNormL1 = new float[numLayers][];
        for (int l = 0; l < numLayers; l++)
        {
            AvgAttention[l] = new float[(long)length * length <= Array.MaxLength ? length * length : throw new ArgumentOutOfRangeException(nameof(length))];
            InputNormL1[l] = new float[length];
            OutputNormL1[l] = new float[length];
        }
    }

    public int NumLayers { get; }
    public int Length { get; }

    /// <summary>[numLayers][Length * Length]</summary>
    public float[][] AvgAttention { get; }

    /// <summary>[numLayers][Length]</summary>
    public float[][] InputNormL1 { get; }

    /// <summary>[numLayers][Length]</summary>
    public float[][] OutputNormL1 { get; }
}
