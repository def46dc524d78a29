using SteerServer.Models.Errors;
using SteerServer.Models.Tokenization;

namespace SteerServer.Models.Tests.Tokenization;

/// <summary>
/// Components the shared tokenizers do not use (Metaspace, Digits, regex Replace, single_word,
/// lstrip on raw text, unk fusing) on a small synthetic tokenizer.json. The expected values were
/// produced by the Rust <c>tokenizers</c> 0.23.2 library (npm binding) from the same JSON.
/// </summary>
public sealed class TokenizerComponentTests
{
    internal const string SyntheticJson = """
        {"version":"1.0","truncation":null,"padding":null,
        "added_tokens":[{"id":11,"content":"<x>","single_word":false,"lstrip":true,"rstrip":false,"normalized":false,"special":true},
         {"id":12,"content":"cc","single_word":true,"lstrip":false,"rstrip":false,"normalized":false,"special":false}],
        "normalizer":{"type":"Sequence","normalizers":[{"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "},{"type":"NFC"}]},
        "pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true},{"type":"Digits","individual_digits":true}]},
        "post_processor":null,
        "decoder":{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true},
        "model":{"type":"BPE","dropout":null,"unk_token":"<unk>","continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":true,"byte_fallback":false,
         "vocab":{"<unk>":0,"▁":1,"a":2,"b":3,"c":4,"1":5,"2":6,"▁a":7,"ab":8,"▁ab":9,"é":10},"merges":["▁ a","▁a b","a b"]}}
        """;

    public static IEnumerable<object[]> Cases() =>
    [
        ["ab  c12 <x> ab zz e\u0301", new[] { 9, 1, 4, 5, 6, 11, 9, 1, 0, 1, 10 }, new[] { "▁ab", "▁", "c", "1", "2", " <x>", "▁ab", "▁", "<unk>", "▁", "é" },
            new[] { 0, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 11, 11, 14, 14, 15, 15, 17, 17, 18, 18, 19 }, "ab c12<x> ab <unk> é", "ab c12 ab <unk> é"],
        ["abab ab", new[] { 9, 8, 9 }, new[] { "▁ab", "ab", "▁ab" }, new[] { 0, 2, 2, 4, 4, 7 }, "abab ab", "abab ab"],
        ["  a", new[] { 7 }, new[] { "▁a" }, new[] { 1, 3 }, "a", "a"],
        ["", Array.Empty<int>(), Array.Empty<string>(), Array.Empty<int>(), "", ""],
        ["cc xcc cc", new[] { 12, 1, 0, 4, 4, 1, 12 }, new[] { "cc", "▁", "<unk>", "c", "c", "▁", "cc" }, new[] { 0, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 9 }, "cc <unk>cc cc", "cc <unk>cc cc"],
        ["x   <x>b", new[] { 1, 0, 11, 1, 3 }, new[] { "▁", "<unk>", "   <x>", "▁", "b" }, new[] { 0, 1, 0, 1, 1, 7, 7, 8, 7, 8 }, "<unk><x> b", "<unk> b"],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void SyntheticTokenizer_MatchesRustLibrary(string text, int[] ids, string[] tokens, int[] flatOffsets, string decoded, string decodedSkipSpecial)
    {
        var tok = Tokenizer.FromJson(SyntheticJson);
        var enc = tok.Encode(text);
        Assert.Equal(ids, enc.Ids);
        Assert.Equal(tokens, enc.Tokens);
        Assert.Equal(Enumerable.Range(0, flatOffsets.Length / 2).Select(i => (flatOffsets[2 * i], flatOffsets[2 * i + 1])), enc.Offsets);
        Assert.Equal(decoded, tok.Decode(ids, skipSpecialTokens: false));
        Assert.Equal(decodedSkipSpecial, tok.Decode(ids, skipSpecialTokens: true));
        TokenizerVectorTests.AssertStreamingMatches(tok, ids, skipSpecialTokens: false);
    }

    [Theory]
    [InlineData("\"normalizer\":{\"type\":\"Sequence\"", "\"normalizer\":{\"type\":\"Lowercase\"},\"x\":{\"type\":\"Sequence\"", "Lowercase")]
    [InlineData("{\"type\":\"Metaspace\",\"replacement\"", "{\"type\":\"Whitespace\",\"replacement\"", "Whitespace")]
    [InlineData("\"model\":{\"type\":\"BPE\"", "\"model\":{\"type\":\"WordPiece\"", "WordPiece")]
    [InlineData("\"truncation\":null", "\"truncation\":{\"max_length\":8}", "truncation")]
    [InlineData("\"post_processor\":null", "\"post_processor\":{\"type\":\"RobertaProcessing\"}", "RobertaProcessing")]
    [InlineData("\"decoder\":{\"type\":\"Metaspace\"", "\"decoder\":{\"type\":\"WordPiece\"", "WordPiece")]
    [InlineData("\"dropout\":null", "\"dropout\":0.1", "dropout")]
    public void UnsupportedFeature_ThrowsAtLoad_NamingIt(string find, string replace, string feature)
    {
        Assert.Contains(find, SyntheticJson);
        var e = Assert.Throws<SteerException>(() => Tokenizer.FromJson(SyntheticJson.Replace(find, replace)));
        Assert.Contains(feature, e.Message);
        Assert.Equal(ErrorKind.InvalidModel, e.Kind);
    }

    [Fact]
    public void MissingTokenizerJson_ThrowsNamingThePath()
    {
        var dir = Path.Combine(Path.GetTempPath(), "steer-tok-missing-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<SteerException>(() => Tokenizer.Load(dir));
        Assert.Contains("tokenizer.json", e.Message);
    }
}
