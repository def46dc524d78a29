using SteerServer.Models.Tokenization;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Tests;

/// <summary>E7: emoji, CJK, combining marks. Offsets count code points; .NET strings count UTF-16 units.</summary>
public class UnicodeSpanTests
{
    public static TheoryData<string, string> Probes() => new()
    {
        { "emoji 😀 and 🎉!", "🎉" },
        { "emoji 😀 and 🎉!", "and 🎉!" },
        { "emoji 😀 and 🎉!", "😀" },
        { "family 👨\u200d👩\u200d👧 emoji", "👩" },
        { "family 👨\u200d👩\u200d👧 emoji", " emoji" },
        { "日本語のテキスト", "テキ" },
        { "日本語のテキスト", "日" },
        { "mixed 中文 and English", "English" },
        { "combining e\u0301 vs é", "e\u0301" },
        { "combining e\u0301 vs é", "\u0301 vs" },
        { "combining e\u0301 vs é", "é" },
        { "math 𝔘𝔫𝔦 letters", "𝔫𝔦 let" },
        { "Привет мир", "мир" },
        { "Привет мир", "П" },
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public void Locate_UnicodeSubstring_CoversExactlyTheOverlappingTokens(string text, string substring)
    {
        var (vectorText, offsets) = TokenizerVectors.Find(text);
        Assert.Equal(text, vectorText);
        var range = SteeringPlanner.LocateSubstring(TokenizedPrompt.ForText(text, offsets), substring, "p");

        int utf16 = text.IndexOf(substring, StringComparison.Ordinal);
        int cs = TextUnits.Utf16ToCodePoint(text, utf16), ce = TextUnits.Utf16ToCodePoint(text, utf16 + substring.Length);
        Assert.Equal(substring.EnumerateRunes().Count(), ce - cs);
        // Every token whose characters overlap the span is in the range, and no other token.
        for (int t = 0; t < offsets.Length; t++)
        {
            var (s, e) = offsets[t];
            bool overlaps = e > s && s < ce && e > cs;
            Assert.True(overlaps == range.Contains(t), $"token {t} [{s},{e}) vs span [{cs},{ce}) → range {range}");
        }
        // The covered characters contain the substring.
        int firstChar = offsets[range.TokenStart].Start, lastChar = offsets[range.TokenEnd - 1].End;
        string covered = text[TextUnits.CodePointToUtf16(text, firstChar)..TextUnits.CodePointToUtf16(text, lastChar)];
        Assert.Contains(substring, covered);
    }
}
