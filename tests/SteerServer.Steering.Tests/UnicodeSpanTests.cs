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
        int cs = CodePoints.FromUtf16(text, utf16), ce = CodePoints.FromUtf16(text, utf16 + substring.Length);
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
        string covered = text[CodePoints.ToUtf16(text, firstChar)..CodePoints.ToUtf16(text, lastChar)];
        Assert.Contains(substring, covered);
    }

    [Fact]
    public void CodePoints_SurrogatePairs_CountOnce()
    {
        string s = "a😀b";
        Assert.Equal(4, s.Length);
        Assert.Equal(2, CodePoints.FromUtf16(s, 3));
        Assert.Equal(3, CodePoints.ToUtf16(s, 2));
        Assert.Equal(4, CodePoints.ToUtf16(s, 3));
        Assert.Equal(3, CodePoints.FromUtf16(s, 4));
    }
}
