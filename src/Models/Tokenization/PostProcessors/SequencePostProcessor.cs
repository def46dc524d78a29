namespace SteerServer.Models.Tokenization.PostProcessors;

/// <summary><c>{"type":"Sequence","processors":[...]}</c>.</summary>
internal sealed class SequencePostProcessor(IReadOnlyList<IPostProcessor> processors) : IPostProcessor
{
    public void Process(List<EncodedToken> tokens, bool addSpecialTokens)
    {
        foreach (var p in processors) p.Process(tokens, addSpecialTokens);
    }
}
