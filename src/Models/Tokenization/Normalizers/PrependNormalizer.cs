namespace SteerServer.Models.Tokenization.Normalizers;

/// <summary>
/// <c>{"type":"Prepend","prepend":"▁"}</c>: prepends a string to non-empty text. The new units are
/// aligned with the first character (as <c>NormalizedString::prepend</c> does).
/// </summary>
internal sealed class PrependNormalizer(string prepend) : INormalizer
{
    public NormalizedText Normalize(NormalizedText input)
    {
        if (input.Length == 0 || prepend.Length == 0) return input;
        var b = new NormalizedText.Builder(input.Length + prepend.Length);
        var (s, e) = input.CharRange(0);
        b.Append(prepend, s, e);
        b.AppendFrom(input, 0, input.Length);
        return b.Build();
    }
}
