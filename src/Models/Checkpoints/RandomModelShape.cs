namespace SteerServer.Models.Checkpoints;

/// <summary>The config.json facts of a model shape that <see cref="RandomModel"/> reproduces with random weights.</summary>
public sealed record RandomModelShape(
    string ModelType,
    string Architecture,
    int HiddenSize,
    int IntermediateSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int NumKeyValueHeads,
    int VocabSize,
    bool Tied,
    bool QkvBias,
    double RopeTheta,
    double RmsNormEps,
    int MaxPositions,
    int BosTokenId,
    int EosTokenId);
