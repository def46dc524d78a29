namespace SteerServer.Models.Tokenization.Decoders;

/// <summary>A <c>decoder</c> stage (<c>decode_chain</c>): rewrites the list of token strings; the result is their concatenation.</summary>
internal interface IDecoder
{
    void DecodeChain(List<string> tokens);
}
