namespace SteerServer.Models.Tokenization.Decoders;

/// <summary><c>{"type":"Replace","pattern":{"String":..},"content":..}</c>: a plain replacement in each token.</summary>
internal sealed class ReplaceDecoder(string pattern, string content) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++) tokens[i] = tokens[i].Replace(pattern, content, StringComparison.Ordinal);
    }
}
