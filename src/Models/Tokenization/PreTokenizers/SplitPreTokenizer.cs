namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary><c>{"type":"Split","pattern":{"Regex"|"String":..},"behavior":..,"invert":..}</c>.</summary>
internal sealed class SplitPreTokenizer(RegexSplitter splitter, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public bool ProducesByteLevel => false;

    public bool MayRemoveText => behavior == SplitBehavior.Removed;

    public void PreTokenize(List<NormalizedText> pieces)
    {
        var output = new List<NormalizedText>(pieces.Count * 4);
        var matches = new List<(int, int)>();
        foreach (var piece in pieces)
        {
            splitter.Matches(piece.Text, matches);
            if (behavior == SplitBehavior.Isolated && !invert) Splitting.Isolated(piece, matches, output);
            else Splitting.Apply(piece, Splitting.Cover(matches, piece.Length), behavior, invert, output);
        }
        pieces.Clear();
        pieces.AddRange(output);
    }
}
