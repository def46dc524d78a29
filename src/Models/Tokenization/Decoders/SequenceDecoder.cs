namespace SteerServer.Models.Tokenization.Decoders;

/// <summary><c>{"type":"Sequence","decoders":[...]}</c>.</summary>
internal sealed class SequenceDecoder(IReadOnlyList<IDecoder> decoders) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        foreach (var d in decoders) d.DecodeChain(tokens);
    }
}
