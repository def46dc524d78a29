namespace SteerServer.Models.Inference;

/// <summary>
/// The steering hook: an additive offset on the pre-softmax attention logits of one sequence,
/// per layer, per query head and per prompt key column, the same for every query row.
/// Generated key columns (≥ <see cref="PromptLength"/>) always get 0. Rows that were never
/// created cost nothing in attention.
/// </summary>
public sealed class AttentionOffsets
{
    private readonly float[]?[] rows; // [numLayers * numHeads] → [PromptLength] or null

    public AttentionOffsets(int numLayers, int numHeads, int promptLength, bool steerDecode = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numLayers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numHeads);
        ArgumentOutOfRangeException.ThrowIfNegative(promptLength);
        NumLayers = numLayers;
        NumHeads = numHeads;
        PromptLength = promptLength;
        SteerDecode = steerDecode;
        rows = new float[]?[numLayers * numHeads];
    }

    public int NumLayers { get; }
    public int NumHeads { get; }
    public int PromptLength { get; }

    /// <summary>False: the offsets apply in the prefill only, not at decode steps.</summary>
    public bool SteerDecode { get; }

    /// <summary>The offset row of (layer, head), or null when that head is not steered.</summary>
    public float[]? Get(int layer, int head) => rows[Index(layer, head)];

    /// <summary>The offset row of (layer, head), created zero-filled on first use.</summary>
    public float[] GetOrCreate(int layer, int head) => rows[Index(layer, head)] ??= new float[PromptLength];

    /// <summary>True when at least one head of <paramref name="layer"/> is steered.</summary>
    public bool HasLayer(int layer)
    {
        for (int h = 0; h < NumHeads; h++)
            if (rows[Index(layer, h)] != null) return true;
        return false;
    }

    private int Index(int layer, int head)
    {
        if ((uint)layer >= (uint)NumLayers) throw new ArgumentOutOfRangeException(nameof(layer));
        if ((uint)head >= (uint)NumHeads) throw new ArgumentOutOfRangeException(nameof(head));
        return layer * NumHeads + head;
    }
}
