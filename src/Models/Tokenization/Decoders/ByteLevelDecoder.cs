using System.Text;
using SteerServer.Models.Tokenization.Bpe;

namespace SteerServer.Models.Tokenization.Decoders;

/// <summary>
/// <c>{"type":"ByteLevel"}</c>: maps each token's GPT-2 alphabet characters back to bytes (a token
/// with a character outside the alphabet, e.g. an added token, contributes its UTF-8 bytes as is)
/// and decodes everything as UTF-8, replacing invalid sequences with U+FFFD like
/// <c>String::from_utf8_lossy</c>.
/// </summary>
internal sealed class ByteLevelDecoder : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>(tokens.Count * 4);
        foreach (var t in tokens) AppendBytes(t, bytes);
        tokens.Clear();
        tokens.Add(System.Text.Encoding.UTF8.GetString([.. bytes]));
    }

    internal static void AppendBytes(string token, List<byte> bytes)
    {
        foreach (var c in token)
            if (ByteLevelAlphabet.CharToByte(c) < 0)
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(token));
                return;
            }
        foreach (var c in token) bytes.Add((byte)ByteLevelAlphabet.CharToByte(c));
    }
}
