namespace SteerServer.Models.Tokenization.Bpe;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>: every byte as a printable character (printable Latin-1 bytes
/// map to themselves, the rest to U+0100 onwards), so byte-level tokens are valid strings.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>[256] byte → character.</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>character → byte, or -1 when the character is not in the alphabet.</summary>
    public static int CharToByte(char c) => c < charToByte.Length ? charToByte[c] : -1;

    private static readonly short[] charToByte = BuildInverse();

    private static char[] Build()
    {
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }

    private static short[] BuildInverse()
    {
        var inv = new short[512];
        Array.Fill(inv, (short)-1);
        for (int b = 0; b < 256; b++) inv[ByteToChar[b]] = (short)b;
        return inv;
    }
}
