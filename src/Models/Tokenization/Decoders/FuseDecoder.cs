namespace SteerServer.Models.Tokenization.Decoders;

/// <summary><c>{"type":"Fuse"}</c>: joins all tokens into one.</summary>
internal sealed class FuseDecoder : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        if (tokens.Count <= 1) return;
        var all = string.Concat(tokens);
        tokens.Clear();
        tokens.Add(all);
    }
}
