namespace SteerServer.Models.Tokenization.Decoders;

/// <summary><c>{"type":"Strip","content":" ","start":n,"stop":m}</c>: removes up to n leading and m trailing copies of a character from each token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            int s = 0;
            while (s < start && s < t.Length && t[s] == content) s++;
            int e = t.Length;
            for (int k = 0; k < stop && e > s && t[e - 1] == content; k++) e--;
            if (s != 0 || e != t.Length) tokens[i] = t[s..e];
        }
    }
}
