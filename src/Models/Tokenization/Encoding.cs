namespace SteerServer.Models.Tokenization;

/// <summary>
/// The result of <see cref="Tokenizer.Encode"/>: one entry per token. <see cref="Offsets"/> are
/// half-open <c>[start, end)</c> ranges in Unicode code points of the input (Hugging Face's
/// convention); tokens added by the post-processor (e.g. BOS) have <c>(0, 0)</c>. Convert with
/// <see cref="TextUnits"/> when you need UTF-16 indices.
/// </summary>
public sealed class Encoding
{
    internal Encoding(int[] ids, string[] tokens, (int Start, int End)[] offsets, bool limitExceeded = false)
    {
        Ids = ids;
        Tokens = tokens;
        Offsets = offsets;
        LimitExceeded = limitExceeded;
    }

    /// <summary>What <see cref="Tokenizer.Encode(string, bool, int)"/> returns once the text certainly has more than its limit: no tokens.</summary>
    internal static Encoding Exceeded { get; } = new([], [], [], limitExceeded: true);

    /// <summary>
    /// True when encoding stopped early because the text has more tokens than the limit it was given; the lists are
    /// then empty. The post-processor's special tokens come after the check, so a count just under the limit can
    /// still end up over it: callers compare <see cref="Count"/> too.
    /// </summary>
    public bool LimitExceeded { get; }

    public IReadOnlyList<int> Ids { get; }

    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Code point ranges <c>[Start, End)</c> of the input covered by each token.</summary>
    public IReadOnlyList<(int Start, int End)> Offsets { get; }

    public int Count => Ids.Count;
}
