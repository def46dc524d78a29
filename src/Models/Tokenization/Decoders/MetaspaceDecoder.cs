namespace SteerServer.Models.Tokenization.Decoders;

/// <summary>
/// <c>{"type":"Metaspace","replacement":"▁","prepend_scheme":..}</c>: the replacement character
/// becomes a space, except in the first token, where it is dropped unless the scheme is "never"
/// (as the Rust decoder does: every replacement character of token 0, not only a leading one).
/// </summary>
internal sealed class MetaspaceDecoder(char replacement, string prependScheme) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = i == 0 && prependScheme != "never"
                ? tokens[i].Replace(replacement.ToString(), "", StringComparison.Ordinal)
                : tokens[i].Replace(replacement, ' ');
        }
    }
}
