namespace SteerServer.Models.Tokenization.PostProcessors;

/// <summary>
/// <c>{"type":"ByteLevel","trim_offsets":false}</c>: with <c>trim_offsets</c> false it changes
/// nothing (the loader rejects <c>trim_offsets: true</c>, which this server does not implement).
/// </summary>
internal sealed class ByteLevelPostProcessor : IPostProcessor
{
    public void Process(List<EncodedToken> tokens, bool addSpecialTokens) { }
}
