namespace SteerServer.Models.Tokenization;

/// <summary>
/// The result of <see cref="Tokenizer.Encode"/>: one entry per token. <see cref="Offsets"/> are
/// half-open <c>[start, end)</c> ranges in Unicode code points of the input (Hugging Face's
/// convention); tokens added by the post-processor (e.g. BOS) have <c>(0, 0)</c>. Convert with
/// <see cref="TextUnits"/> when you need UTF-16 indices.
/// </summary>
public sealed class Encoding
{
    internal Encoding(int[] ids, string[] tokens, (int Start, int End)[] offsets)
    {
        Ids = ids;
        Tokens = tokens;
        Offsets = offsets;
    }

    public IReadOnlyList<int> Ids { get; }

    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Code point ranges <c>[Start, End)</c> of the input covered by each token.</summary>
    public IReadOnlyList<(int Start, int End)> Offsets { get; }

    public int Count => Ids.Count;
}
