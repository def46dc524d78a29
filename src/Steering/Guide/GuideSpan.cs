namespace SteerServer.Steering.Guide;

/// <summary>
/// One tagged span, in the cleaned (tag-free) content of message <see cref="MessageIndex"/> (of its text part
/// <see cref="PartIndex"/> when ≥ 0): UTF-16 <c>[Utf16Start, Utf16End)</c>, whitespace just inside the tags
/// excluded (as GUIDE's <c>strip()</c>).
/// </summary>
public sealed record GuideSpan(int MessageIndex, GuideLevel Level, int Utf16Start, int Utf16End, string Text, int PartIndex = -1)
{
    /// <summary>The logit offset of this level for GUIDE <c>delta</c> (0 for <see cref="GuideLevel.Influence"/>).</summary>
    public double OffsetFor(double delta) => Level switch
    {
        GuideLevel.Low => delta / 2,
        GuideLevel.Mid => delta,
        GuideLevel.High => 2 * delta,
        _ => 0,
    };
}
