namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary>
/// <c>{"type":"Metaspace","replacement":"▁","prepend_scheme":..,"split":..}</c>: spaces become the
/// replacement character, which is prepended (always, or only to the piece at the start of the
/// input for "first"), then the piece is split before each replacement character.
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : IPreTokenizer
{
    private readonly Normalizers.ReplaceNormalizer replaceSpaces =
        new(new System.Text.RegularExpressions.Regex(" ", System.Text.RegularExpressions.RegexOptions.CultureInvariant), replacement.ToString());
    private readonly Normalizers.PrependNormalizer prepend = new(replacement.ToString());

    public bool ProducesByteLevel => false;

    public void PreTokenize(List<NormalizedText> pieces)
    {
        var output = new List<NormalizedText>(pieces.Count * 4);
        foreach (var original in pieces)
        {
            var piece = replaceSpaces.Normalize(original);
            bool atStart = piece.Length > 0 && piece.StartOf(0) == 0;
            if (piece.Length > 0 && piece.Text[0] != replacement && (prependScheme == "always" || (prependScheme == "first" && atStart)))
                piece = prepend.Normalize(piece);
            if (!split) { if (piece.Length > 0) output.Add(piece); continue; }
            var matches = new List<(int, int)>();
            for (int i = 0; i < piece.Length; i++) if (piece.Text[i] == replacement) matches.Add((i, i + 1));
            Splitting.Apply(piece, Splitting.Cover(matches, piece.Length), SplitBehavior.MergedWithNext, false, output);
        }
        pieces.Clear();
        pieces.AddRange(output);
    }
}
