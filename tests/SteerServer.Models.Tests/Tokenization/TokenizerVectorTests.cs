using System.Text.Json;
using SteerServer.Models.Tokenization;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Tokenization;

/// <summary>
/// Every line of <c>tokenizers/*/vectors.jsonl</c> and <c>models/stories260K/tokenizer_vectors.jsonl</c>
/// (oracle: Hugging Face's Rust tokenizers; see tokenizers/README.md): ids, tokens, code point
/// offsets, both decodes, and the streaming detokenizer against the whole decode.
/// </summary>
public sealed class TokenizerVectorTests(TokenizerFixture fixture) : IClassFixture<TokenizerFixture>
{
    public static readonly string[] Names = ["gpt2", "llama2", "llama3.1", "phi-2", "phi-3-mini", "qwen2.5", "qwen3"];

    public static IEnumerable<object[]> Vectors()
    {
        foreach (var name in Names)
        {
            int lines = File.ReadLines(TestDataPaths.File("tokenizers", name, "vectors.jsonl")).Count(l => l.Length > 0);
            for (int i = 1; i <= lines; i++) yield return [name, i];
        }
    }

    public static IEnumerable<object[]> StoriesVectors()
    {
        int lines = File.ReadLines(TestDataPaths.File("models", "stories260K", "tokenizer_vectors.jsonl")).Count(l => l.Length > 0);
        for (int i = 1; i <= lines; i++) yield return [i];
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_MatchesOracle(string name, int line)
    {
        using var doc = ReadLine(TestDataPaths.File("tokenizers", name, "vectors.jsonl"), line);
        var v = doc.RootElement;
        var text = v.GetProperty("text").GetString()!;
        var tok = fixture.Get(name);
        var enc = tok.Encode(text, v.GetProperty("add_special_tokens").GetBoolean());

        Assert.Equal(Ints(v.GetProperty("ids")), enc.Ids);
        Assert.Equal(v.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray(), enc.Tokens);
        Assert.Equal(Offsets(v.GetProperty("offsets")), enc.Offsets);
        var ids = enc.Ids.ToArray();
        Assert.Equal(v.GetProperty("decoded").GetString(), tok.Decode(ids, skipSpecialTokens: false));
        Assert.Equal(v.GetProperty("decoded_skip_special").GetString(), tok.Decode(ids, skipSpecialTokens: true));
        AssertStreamingMatches(tok, ids, skipSpecialTokens: false);
        AssertStreamingMatches(tok, ids, skipSpecialTokens: true);
    }

    [Theory]
    [MemberData(nameof(StoriesVectors))]
    public void Stories260K_MatchesOracle(int line)
    {
        using var doc = ReadLine(TestDataPaths.File("models", "stories260K", "tokenizer_vectors.jsonl"), line);
        var v = doc.RootElement;
        var text = v.GetProperty("text").GetString()!;
        var tok = fixture.Get("models/stories260K");
        var enc = tok.Encode(text);

        Assert.Equal(Ints(v.GetProperty("ids")), enc.Ids);
        Assert.Equal(Offsets(v.GetProperty("offsets")), enc.Offsets);
        var ids = enc.Ids.ToArray();
        // decode(encode(x)) = x holds for these strings in the Rust library (README §1), without the BOS.
        Assert.Equal(tok.BosTokenId, ids[0]);
        Assert.Equal(text, tok.Decode(ids.AsSpan(1), skipSpecialTokens: false));
        AssertStreamingMatches(tok, ids, skipSpecialTokens: false);
        AssertStreamingMatches(tok, ids, skipSpecialTokens: true);
    }

    internal static void AssertStreamingMatches(Tokenizer tok, int[] ids, bool skipSpecialTokens)
    {
        var whole = tok.Decode(ids, skipSpecialTokens);
        var stream = tok.CreateStreamingDetokenizer(skipSpecialTokens);
        var sb = new System.Text.StringBuilder();
        int replacementChars = 0;
        foreach (var id in ids)
        {
            var delta = stream.Add(id);
            replacementChars += delta.Count(c => c == '\uFFFD');
            sb.Append(delta);
            // Never more replacement characters than the whole decode has, at any point.
            Assert.True(replacementChars <= whole.Count(c => c == '\uFFFD'), $"stream yielded U+FFFD early: '{sb}'");
        }
        sb.Append(stream.Flush());
        Assert.Equal(whole, sb.ToString());
    }

    private static JsonDocument ReadLine(string path, int line) =>
        JsonDocument.Parse(File.ReadLines(path).Where(l => l.Length > 0).Skip(line - 1).First());

    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    private static (int Start, int End)[] Offsets(JsonElement e) =>
        [.. e.EnumerateArray().Select(x => (x[0].GetInt32(), x[1].GetInt32()))];
}
