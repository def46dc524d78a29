using SteerServer.Models.Tokenization;
using SteerServer.Models.Tokenization.PreTokenizers;

namespace SteerServer.Models.Tests.Tokenization;

/// <summary>
/// The .NET regex engine against Oniguruma semantics (the Rust library's <c>Split</c>
/// pre-tokenizer). Every expected split below was produced by the Rust <c>tokenizers</c> 0.23.2
/// library (npm binding) with <c>{"type":"Split","pattern":{"Regex":..},"behavior":"Isolated"}</c>.
/// </summary>
public sealed class RegexSplitterTests
{
    private const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Cl100kPossessive = @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";

    private static string[] Split(string pattern, string text)
    {
        var splitter = new RegexSplitter(pattern);
        var matches = new List<(int, int)>();
        splitter.Matches(text, matches);
        var output = new List<NormalizedText>();
        Splitting.Isolated(NormalizedText.FromOriginal(text), matches, output);
        return [.. output.Select(p => p.Text)];
    }

    [Fact]
    public void Llama3Pattern_AstralLettersDigitsAndUnicodeWhitespace_MatchOniguruma()
    {
        // 𝔘 is one letter and 𝟎𝟏𝟐𝟑 four digits (\p{N}{1,3} counts code points, not UTF-16 units);
        // NBSP, U+3000, U+2009 and U+0085 are \s, U+200B and U+FEFF are not.
        var text = "a𝔘b 𝟎𝟏𝟐𝟑 'S 'LL 'Re 'ſ x\u00a0\u3000y\u200bz\ufeffw\u2009\u0085v";
        Assert.Equal(["a𝔘b", " ", "𝟎𝟏𝟐", "𝟑", " '", "S", " '", "LL", " '", "Re", " '", "ſ", " x", "\u00a0", "\u3000y", "\u200bz", "\ufeffw", "\u2009", "\u0085v"],
            Split(Llama3, text));
    }

    [Fact]
    public void Llama3Pattern_LookaheadAndNewlines_MatchOniguruma()
    {
        Assert.Equal(["Hello", ",", " ", " world", "!!\n\n", " ", "123", "45"], Split(Llama3, "Hello,  world!!\n\n 12345"));
    }

    [Fact]
    public void CaseInsensitiveContractions_MatchUpperAndMixedCase()
    {
        Assert.Equal(["I", "'M", " you", "'RE", " it", "'s", " we", "'Ll"], Split(Llama3, "I'M you'RE it's we'Ll"));
    }

    [Fact]
    public void PossessiveQuantifiers_BecomeAtomicGroups()
    {
        Assert.Equal(["Hello", ",", " world", "!!\n\n", "I", "'M", " ", "123", "4", " 𝐁𝐨", " ..", "a"],
            Split(Cl100kPossessive, "Hello, world!!\n\nI'M 1234 𝐁𝐨 ..a"));
        Assert.Equal(["'ll", " '", "LL", " ??", "x"], Split(Cl100kPossessive, "'ll 'LL ??x"));
        // a?+ never gives back its "a", so a lone "a" does not match.
        Assert.Equal(["a ", "aa", " ", "aa", "a"], Split("a?+a", "a aa aaa"));
    }

    [Fact]
    public void AtomicGroupsAndHexEscapes_MatchOniguruma()
    {
        Assert.Equal(["aab", " ", "ab", " b ", "😀😀", "x"], Split(@"(?>a+)b|\x{1F600}+", "aab ab b 😀😀x"));
    }

    [Theory]
    [InlineData("a?+b", "(?>a?)b")]
    [InlineData("[^\\s]++x", "(?>[^\\s]+)x")]
    [InlineData("(ab)*+", "(?>(ab)*)")]
    [InlineData("(?i:a{1,3}+)", "(?i:(?>a{1,3}))")]
    [InlineData("\\p{N}++|b+?", "(?>\\p{N}+)|b+?")]
    [InlineData("\\x{41}", "\\u0041")]
    public void OnigPattern_Translation(string onig, string dotnet) => Assert.Equal(dotnet, OnigPattern.ToDotNet(onig));
}
