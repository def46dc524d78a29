using System.Text;

namespace SteerServer.Models.Tokenization;

/// <summary>
/// A piece of normalized text and, for each of its UTF-16 units, the <c>[start, end)</c> range of
/// the original input (UTF-16 indices into the whole input) it came from — the alignment that lets
/// offsets survive normalization, like <c>NormalizedString</c> in Hugging Face's tokenizers.
/// Both units of a surrogate pair carry the range of the whole original character. When nothing
/// was changed the alignment is the identity (no arrays), which keeps large inputs cheap.
/// </summary>
internal sealed class NormalizedText
{
    private readonly int[]? starts; // original start per unit at [shift + unit], or null = identity
    private readonly int[]? ends;   // original end per unit at [shift + unit], or null = identity
    private readonly int shift;     // identity: unit i ↔ original [shift + i, shift + i + 1); else index of unit 0 in the arrays (slices share them)

    private NormalizedText(string text, int[]? starts, int[]? ends, int shift)
    {
        Text = text;
        this.starts = starts;
        this.ends = ends;
        this.shift = shift;
    }

    /// <summary>The normalized text.</summary>
    public string Text { get; }

    public int Length => Text.Length;

    public bool IsIdentity => starts == null;

    /// <summary>An unnormalized piece of the input starting at UTF-16 index <paramref name="shift"/>.</summary>
    public static NormalizedText FromOriginal(string text, int shift = 0) => new(text, null, null, shift);

    internal static NormalizedText FromAlignments(string text, int[] starts, int[] ends) => new(text, starts, ends, 0);

    public int StartOf(int unit) => starts != null ? starts[shift + unit] : shift + unit;

    public int EndOf(int unit) => ends != null ? ends[shift + unit] : shift + unit + 1;

    /// <summary>Original range covered by the normalized units <c>[start, end)</c> (first start, last end, as the Rust library does).</summary>
    public (int Start, int End) OriginalRange(int start, int end)
    {
        if (end <= start)
        {
            // An empty range maps to an empty range at its position in the original.
            int at = start < Length ? StartOf(start) : Length > 0 ? EndOf(Length - 1) : shift;
            return (at, at);
        }
        return (StartOf(start), EndOf(end - 1));
    }

    /// <summary>Original range of the whole character that starts at <paramref name="unit"/>.</summary>
    public (int Start, int End) CharRange(int unit) => (StartOf(unit), EndOf(unit + TextUnits.CharLength(Text, unit) - 1));

    public NormalizedText Slice(int start, int end)
    {
        if (start == 0 && end == Length) return this;
        return new NormalizedText(Text.Substring(start, end - start), starts, ends, shift + start);
    }

    /// <summary>Builds a new normalized text char by char, each with an explicit original range.</summary>
    internal sealed class Builder(int capacity)
    {
        private readonly StringBuilder text = new(capacity);
        private readonly List<int> starts = new(capacity);
        private readonly List<int> ends = new(capacity);

        public void Append(char c, int start, int end)
        {
            text.Append(c);
            starts.Add(start);
            ends.Add(end);
        }

        /// <summary>Appends every unit of <paramref name="s"/> with the same original range.</summary>
        public void Append(string s, int start, int end)
        {
            foreach (var c in s) Append(c, start, end);
        }

        /// <summary>Appends units <c>[from, to)</c> of <paramref name="source"/> keeping their alignment.</summary>
        public void AppendFrom(NormalizedText source, int from, int to)
        {
            for (int i = from; i < to; i++) Append(source.Text[i], source.StartOf(i), source.EndOf(i));
        }

        public NormalizedText Build() => FromAlignments(text.ToString(), [.. starts], [.. ends]);
    }
}
