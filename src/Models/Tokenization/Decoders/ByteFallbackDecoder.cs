using System.Text;

namespace SteerServer.Models.Tokenization.Decoders;

/// <summary>
/// <c>{"type":"ByteFallback"}</c>: runs of <c>&lt;0xXX&gt;</c> tokens become the text they encode;
/// a run that is not valid UTF-8 becomes one U+FFFD per byte (as the Rust decoder does).
/// </summary>
internal sealed class ByteFallbackDecoder : IDecoder
{
    private static readonly UTF8Encoding strict = new(false, true);

    public void DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            if (TryParseByte(t, out var b)) { bytes.Add(b); continue; }
            Flush(bytes, result);
            result.Add(t);
        }
        Flush(bytes, result);
        tokens.Clear();
        tokens.AddRange(result);
    }

    internal static bool TryParseByte(string t, out byte b)
    {
        b = 0;
        return t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>'
            && byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out b);
    }

    private static void Flush(List<byte> bytes, List<string> result)
    {
        if (bytes.Count == 0) return;
        try { result.Add(strict.GetString([.. bytes])); }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < bytes.Count; i++) result.Add("\uFFFD");
        }
        bytes.Clear();
    }
}
