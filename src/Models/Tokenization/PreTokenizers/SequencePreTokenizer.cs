namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary><c>{"type":"Sequence","pretokenizers":[...]}</c>.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> stages) : IPreTokenizer
{
    public bool ProducesByteLevel => stages.Any(s => s.ProducesByteLevel);

    public bool MayRemoveText => stages.Any(s => s.MayRemoveText);

    public void PreTokenize(List<NormalizedText> pieces)
    {
        foreach (var s in stages) s.PreTokenize(pieces);
    }
}
