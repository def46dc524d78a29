namespace SteerServer.Models.Tokenization.PostProcessors;

/// <summary>
/// <c>{"type":"TemplateProcessing","single":[...]}</c> for a single sequence: the template's
/// special tokens around <c>$A</c>. (Pairs are not used by this server.)
/// </summary>
internal sealed class TemplateProcessing(IReadOnlyList<TemplateProcessing.Piece> single) : IPostProcessor
{
    /// <summary>Either the sequence (<see cref="Ids"/> null) or a special token's ids and strings.</summary>
    internal sealed record Piece(int[]? Ids, string[]? Tokens);

    public IReadOnlyList<Piece> Single => single;

    public void Process(List<EncodedToken> tokens, bool addSpecialTokens)
    {
        if (!addSpecialTokens) return;
        var result = new List<EncodedToken>(tokens.Count + single.Count);
        foreach (var p in single)
        {
            if (p.Ids == null) result.AddRange(tokens);
            else
                for (int i = 0; i < p.Ids.Length; i++) result.Add(new EncodedToken(p.Ids[i], p.Tokens![i], 0, 0));
        }
        tokens.Clear();
        tokens.AddRange(result);
    }
}
