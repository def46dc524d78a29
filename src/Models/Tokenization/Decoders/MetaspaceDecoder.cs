namespace SteerServer.Models.Tokenization.Decoders;

/// <summary>
/// <c>{"type":"Metaspace","replacement":"▁","prepend_scheme":..}</c>: the replacement character
/// becomes a space; the first token loses its leading space unless the scheme is "never".
/// </summary>
internal sealed class MetaspaceDecoder(char replacement, string prependScheme) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i].Replace(replacement, ' ');
            if (i == 0 && prependScheme != "never" && t.StartsWith(' ')) t = t[1..];
            tokens[i] = t;
        }
    }
}
