namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary>
/// <c>{"type":"ByteLevel","add_prefix_space":..,"use_regex":..}</c>: optionally prefixes a space,
/// splits with the GPT-2 pattern, and hands the pieces on as bytes (the model spells each byte
/// with the GPT-2 alphabet, so no string is rewritten here).
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    /// <summary>GPT-2's split pattern, as used by the Rust library's ByteLevel pre-tokenizer.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly RegexSplitter gpt2 = new(Gpt2Pattern);
    private static readonly Normalizers.PrependNormalizer space = new(" ");

    public bool ProducesByteLevel => true;

    public void PreTokenize(List<NormalizedText> pieces)
    {
        if (addPrefixSpace)
            for (int i = 0; i < pieces.Count; i++)
                if (!pieces[i].Text.StartsWith(' ')) pieces[i] = space.Normalize(pieces[i]);
        if (!useRegex) return;
        var output = new List<NormalizedText>(pieces.Count * 4);
        var matches = new List<(int, int)>();
        foreach (var piece in pieces)
        {
            gpt2.Matches(piece.Text, matches);
            Splitting.Isolated(piece, matches, output);
        }
        pieces.Clear();
        pieces.AddRange(output);
    }
}
