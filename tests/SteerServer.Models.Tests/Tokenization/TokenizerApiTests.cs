using SteerServer.Models.Tokenization;

namespace SteerServer.Models.Tests.Tokenization;

/// <summary>The public surface other components use: special ids, unit conversion, streaming, sharing between threads.</summary>
public sealed class TokenizerApiTests(TokenizerFixture fixture) : IClassFixture<TokenizerFixture>
{
    [Theory]
    [InlineData("models/stories260K", 1, 2)]
    [InlineData("llama3.1", 128000, 128009)]
    [InlineData("qwen2.5", null, 151645)]
    [InlineData("phi-3-mini", 1, 32000)]
    public void BosEos_ComeFromTokenizerConfig(string name, int? bos, int? eos)
    {
        var tok = fixture.Get(name);
        Assert.Equal(bos, tok.BosTokenId);
        Assert.Equal(eos, tok.EosTokenId);
        if (eos is int e) Assert.True(tok.IsSpecial(e));
    }

    [Fact]
    public void TokenIdMaps_RoundTrip()
    {
        var tok = fixture.Get("qwen2.5");
        Assert.Equal(151644, tok.TokenToId("<|im_start|>"));
        Assert.Equal("<|im_start|>", tok.IdToToken(151644));
        Assert.Equal(9707, tok.TokenToId("Hello"));
        Assert.Equal("Hello", tok.IdToToken(9707));
        Assert.Null(tok.TokenToId("no such token \u0001"));
        Assert.Null(tok.IdToToken(-1));
        Assert.Null(tok.IdToToken(10_000_000));
        Assert.False(tok.IsSpecial(9707));
        Assert.True(tok.VocabSize >= 151665);
    }

    [Fact]
    public void TextUnits_CountSupplementaryCharactersOnce()
    {
        const string text = "a😀b𝔘c"; // 😀 and 𝔘 are surrogate pairs in UTF-16
        Assert.Equal(7, text.Length);
        Assert.Equal(5, TextUnits.CodePointCount(text));
        Assert.Equal([0, 1, 2, 3, 4, 5], Enumerable.Range(0, 6).Select(cp => Tokenizer.Utf16ToCodePoint(text, Tokenizer.CodePointToUtf16(text, cp))));
        Assert.Equal(3, Tokenizer.CodePointToUtf16(text, 2));   // 'b'
        Assert.Equal(7, Tokenizer.CodePointToUtf16(text, 5));   // end
        Assert.Equal(2, Tokenizer.Utf16ToCodePoint(text, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.CodePointToUtf16(text, 6));
    }

    [Theory]
    [InlineData("qwen2.5")]
    [InlineData("llama2")]
    [InlineData("gpt2")]
    public void Offsets_AreCodePoints_AndCoverTheTokenText(string name)
    {
        const string text = "x😀y 𝐁𝐨𝐥𝐝 🇺🇸!";
        var tok = fixture.Get(name);
        var enc = tok.Encode(text, addSpecialTokens: false);
        Assert.Equal(TextUnits.CodePointCount(text), enc.Offsets[^1].End);
        foreach (var (start, end) in enc.Offsets)
        {
            // Every span converts to whole characters of the input.
            int u0 = Tokenizer.CodePointToUtf16(text, start), u1 = Tokenizer.CodePointToUtf16(text, end);
            Assert.False(char.IsLowSurrogate(text[u0]));
            Assert.True(u1 == text.Length || !char.IsLowSurrogate(text[u1]));
        }
        // The emoji is one code point ([1, 2)), whatever the number of byte tokens that spell it.
        Assert.Contains((1, 2), enc.Offsets);
    }

    [Theory]
    [InlineData("llama2")]   // byte fallback: <0xF0> <0x9F> <0x98> <0x80>
    [InlineData("qwen2.5")]  // byte-level pieces of one emoji
    public void Streaming_HoldsBackHalfCharacters(string name)
    {
        var tok = fixture.Get(name);
        var ids = tok.Encode("ab 😀🙂", addSpecialTokens: false).Ids.ToArray();
        var stream = tok.CreateStreamingDetokenizer(skipSpecialTokens: false);
        var deltas = ids.Select(stream.Add).ToList();
        Assert.All(deltas, d => Assert.DoesNotContain('\uFFFD', d));
        Assert.Contains(deltas, d => d.EndsWith("😀", StringComparison.Ordinal));
        Assert.Equal(tok.Decode(ids), string.Concat(deltas) + stream.Flush());
    }

    [Fact]
    public void Streaming_FlushReturnsAnIncompleteTail()
    {
        var tok = fixture.Get("llama2");
        var stream = tok.CreateStreamingDetokenizer(skipSpecialTokens: true);
        int f0 = tok.TokenToId("<0xF0>")!.Value, f9 = tok.TokenToId("<0x9F>")!.Value;
        Assert.Equal("", stream.Add(f0));
        Assert.Equal("", stream.Add(f9));
        Assert.Equal(tok.Decode([f0, f9]), stream.Flush()); // "\uFFFD\uFFFD", as the whole decode says
    }

    [Fact]
    public void Encode_IsThreadSafe()
    {
        var tok = fixture.Get("qwen3");
        var texts = Enumerable.Range(0, 64).Select(i => $"Thread {i}: naïve café 😀 {i * 7919} <|im_start|>user\n" + new string('z', i * 5)).ToArray();
        var expected = texts.Select(t => tok.Encode(t).Ids.ToArray()).ToArray();
        var actual = new int[texts.Length][];
        Parallel.For(0, texts.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            int i = k % texts.Length;
            actual[i] = tok.Encode(texts[i]).Ids.ToArray();
        });
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    /// <summary>
    /// The early stop never changes an answer: under the limit the encoding is the full one; over it, the result
    /// says so (at the exact count or from the prefix bound), for every tokenizer family.
    /// </summary>
    [Theory]
    [InlineData("models/stories260K")]
    [InlineData("llama3.1")]
    [InlineData("qwen2.5")]
    [InlineData("phi-3-mini")]
    public void Encode_MaxTokens_StopsOnlyWhenCertainlyOver(string name)
    {
        var tok = fixture.Get(name);
        var text = string.Concat(Enumerable.Repeat("Once upon a time, there was a girl named Lily. 😀 Ünïcödé <s> 12345\n", 40));
        var full = tok.Encode(text, addSpecialTokens: false);
        foreach (int limit in new[] { 0, 1, 7, full.Count - 1, full.Count, full.Count + 1, 10 * full.Count })
        {
            var e = tok.Encode(text, false, limit);
            if (full.Count > limit)
                Assert.True(e.LimitExceeded && e.Count == 0, $"limit {limit}, {full.Count} tokens");
            else
            {
                Assert.False(e.LimitExceeded);
                Assert.Equal(full.Ids, e.Ids);
                Assert.Equal(full.Offsets, e.Offsets);
            }
        }
    }

    /// <summary>
    /// Texts with many characters per token (whitespace runs, special tokens written out, long repeated symbols) let
    /// the prefix bound run with a limit equal to the true count: it must never claim "more" then.
    /// </summary>
    [Theory]
    [InlineData("models/stories260K")]
    [InlineData("llama3.1")]
    [InlineData("qwen2.5")]
    [InlineData("phi-3-mini")]
    [InlineData("gpt2")]
    public void Encode_MaxTokens_PrefixBoundNeverOvercounts(string name)
    {
        var tok = fixture.Get(name);
        var special = tok.AddedTokens.Count > 0 ? tok.AddedTokens[^1].Content : "<s>";
        string[] texts =
        [
            new string(' ', 20_000),
            string.Concat(Enumerable.Repeat(special, 3000)),
            string.Concat(Enumerable.Repeat("----------------================", 800)),
            string.Concat(Enumerable.Repeat("\n\n\n\n\t\t\t\t        ", 1500)),
            string.Concat(Enumerable.Repeat("e\u0301\u0301 ", 4000)), // combining marks, composed by NFC
        ];
        foreach (var text in texts)
        {
            int count = tok.Encode(text, addSpecialTokens: false).Count;
            Assert.False(tok.Encode(text, false, count).LimitExceeded, $"{name}: {count} tokens claimed to be more");
            Assert.True(tok.Encode(text, false, count - 1).LimitExceeded);
        }
    }

    [Fact]
    public void Encode_HugeText_SmallLimit_DecidedFromAPrefix()
    {
        var tok = fixture.Get("models/stories260K");
        var text = new string('a', 1000) + string.Concat(Enumerable.Repeat("The cat sat on the mat. ", 400_000)); // ~10 MB
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(tok.Encode(text, true, 511).LimitExceeded);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, "more than a prefix was processed");
    }
}
