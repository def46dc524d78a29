namespace SteerServer.Models.Tokenization.Normalizers;

/// <summary><c>{"type":"Sequence","normalizers":[...]}</c>: applies each normalizer in turn.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<INormalizer> normalizers) : INormalizer
{
    public NormalizedText Normalize(NormalizedText input)
    {
        foreach (var n in normalizers) input = n.Normalize(input);
        return input;
    }
}
