using System.Runtime.InteropServices;
using SteerServer.Models.Tokenization.Bpe;
using SteerServer.Models.Tokenization.Decoders;
using SteerServer.Models.Tokenization.Normalizers;
using SteerServer.Models.Tokenization.PostProcessors;
using SteerServer.Models.Tokenization.PreTokenizers;

namespace SteerServer.Models.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> tokenizer. The pipeline, as in the Rust library:
/// <list type="number">
/// <item>added tokens with <c>normalized: false</c> are cut out of the raw input;</item>
/// <item>each remaining piece is normalized (<see cref="INormalizer"/>), then added tokens with
/// <c>normalized: true</c> are cut out of the normalized text;</item>
/// <item>the rest is pre-tokenized (<see cref="IPreTokenizer"/>) and each pre-token is encoded by
/// the model (<see cref="BpeModel"/>);</item>
/// <item>the post-processor adds special tokens (<see cref="IPostProcessor"/>).</item>
/// </list>
/// Decoding maps ids to token strings and runs the <see cref="IDecoder"/> chain.
/// Offsets are carried through normalization by <see cref="NormalizedText"/> and reported in code
/// points. Immutable after loading and safe to share between threads.
/// </summary>
public sealed class Tokenizer
{
    private readonly INormalizer? normalizer;
    private readonly IPreTokenizer? preTokenizer;
    private readonly BpeModel model;
    private readonly IPostProcessor? postProcessor;
    private readonly IDecoder? decoder;
    private readonly AddedVocabulary rawAdded;         // added tokens matched in the raw input
    private readonly AddedVocabulary normalizedAdded;  // added tokens matched in normalized text
    private readonly Dictionary<int, AddedToken> addedById;
    private readonly Dictionary<int, string> addedTokenText;   // id → text used by IdToToken/Decode
    private readonly Dictionary<string, AddedToken> addedByContent;
    private readonly HashSet<string> specialContents;
    private readonly bool byteLevel;

    internal Tokenizer(INormalizer? normalizer, IPreTokenizer? preTokenizer, BpeModel model, IPostProcessor? postProcessor,
        IDecoder? decoder, IReadOnlyList<AddedToken> addedTokens, string? bosToken, string? eosToken)
    {
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        byteLevel = preTokenizer?.ProducesByteLevel ?? false;
        AddedTokens = addedTokens;
        addedById = [];
        addedTokenText = [];
        addedByContent = new(StringComparer.Ordinal);
        foreach (var t in addedTokens)
        {
            addedById[t.Id] = t;
            addedByContent[t.Content] = t;
            // The Rust library keeps a normalized token's *normalized* content for id → token
            // (so Llama 2's id 1 decodes as "▁<s>" and is not matched by skip_special_tokens,
            // which compares with the raw content); token → id still uses the raw content.
            addedTokenText[t.Id] = t.Normalized && normalizer != null ? normalizer.Normalize(NormalizedText.FromOriginal(t.Content)).Text : t.Content;
        }
        specialContents = new(addedTokens.Where(t => t.Special).Select(t => t.Content), StringComparer.Ordinal);
        rawAdded = new AddedVocabulary(addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        normalizedAdded = new AddedVocabulary(addedTokens.Where(t => t.Normalized)
            .Select(t => (normalizer?.Normalize(NormalizedText.FromOriginal(t.Content)).Text ?? t.Content, t)));
        VocabSize = Math.Max(model.VocabSize, addedTokens.Count == 0 ? 0 : addedTokens.Max(t => t.Id) + 1);
        BosToken = bosToken;
        EosToken = eosToken;
        BosTokenId = bosToken == null ? null : TokenToId(bosToken);
        EosTokenId = eosToken == null ? null : TokenToId(eosToken);
    }

    /// <summary>Loads <c>tokenizer.json</c> (and <c>tokenizer_config.json</c> when present) from a model directory.</summary>
    public static Tokenizer Load(string modelDir) => TokenizerJson.Load(modelDir);

    /// <summary>Builds a tokenizer from the text of <c>tokenizer.json</c> and, optionally, <c>tokenizer_config.json</c>.</summary>
    public static Tokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null, string source = "tokenizer.json") =>
        TokenizerJson.Parse(tokenizerJson, tokenizerConfigJson, source);

    /// <summary>Number of ids (model vocabulary and added tokens).</summary>
    public int VocabSize { get; }

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>BOS token text from <c>tokenizer_config.json</c> (null when the model has none).</summary>
    public string? BosToken { get; }

    public string? EosToken { get; }

    public int? BosTokenId { get; }

    public int? EosTokenId { get; }

    /// <summary>True for added tokens marked <c>special</c> (skipped by <c>skipSpecialTokens</c>).</summary>
    public bool IsSpecial(int id) => addedById.TryGetValue(id, out var t) && t.Special;

    public int? TokenToId(string token) =>
        addedByContent.TryGetValue(token, out var t) ? t.Id : model.TokenToId(token);

    public string? IdToToken(int id) =>
        addedTokenText.TryGetValue(id, out var t) ? t : model.IdToToken(id);

    /// <summary>Number of code points in <c>text[..utf16Index]</c>. See <see cref="TextUnits"/>.</summary>
    public static int Utf16ToCodePoint(string text, int utf16Index) => TextUnits.Utf16ToCodePoint(text, utf16Index);

    /// <summary>UTF-16 index of the code point index. See <see cref="TextUnits"/>.</summary>
    public static int CodePointToUtf16(string text, int codePointIndex) => TextUnits.CodePointToUtf16(text, codePointIndex);

    /// <summary>Encodes text; <paramref name="addSpecialTokens"/> lets the post-processor add e.g. BOS.</summary>
    public Encoding Encode(string text, bool addSpecialTokens = true) => Encode(text, addSpecialTokens, int.MaxValue);

    /// <summary>
    /// Encodes text, but stops as soon as it is certain that the text has more than <paramref name="maxTokens"/>
    /// tokens (before the post-processor's), returning <see cref="Encoding.LimitExceeded"/> with no tokens: a
    /// 10 MB prompt for a 4k context costs a bounded prefix, not the whole text. Two checks: a lower bound from a
    /// prefix (<see cref="CertainlyMoreTokens"/>), then, while encoding in order, the exact count of tokens so far.
    /// </summary>
    public Encoding Encode(string text, bool addSpecialTokens, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (maxTokens < int.MaxValue && CertainlyMoreTokens(text, maxTokens)) return Encoding.Exceeded;
        var tokens = new List<EncodedToken>(text.Length / 3 + 4);
        var root = NormalizedText.FromOriginal(text);
        var rawSplits = new List<(AddedToken? Token, int Start, int End)>();
        var normSplits = new List<(AddedToken? Token, int Start, int End)>();
        var pieces = new List<NormalizedText>();

        rawAdded.FindMatches(text, rawSplits);
        foreach (var (rawToken, rs, re) in rawSplits)
        {
            if (re <= rs) continue;
            var raw = root.Slice(rs, re);
            if (rawToken != null)
            {
                tokens.Add(new EncodedToken(rawToken.Id, raw.Text, raw.StartOf(0), raw.EndOf(raw.Length - 1)));
                continue;
            }
            var normalized = normalizer?.Normalize(raw) ?? raw;
            normalizedAdded.FindMatches(normalized.Text, normSplits);
            foreach (var (token, s, e) in normSplits)
            {
                if (e <= s) continue;
                var piece = normalized.Slice(s, e);
                if (token != null)
                {
                    tokens.Add(new EncodedToken(token.Id, piece.Text, piece.StartOf(0), piece.EndOf(piece.Length - 1)));
                    continue;
                }
                pieces.Clear();
                pieces.Add(piece);
                preTokenizer?.PreTokenize(pieces);
                foreach (var p in pieces)
                {
                    EncodeWord(p, tokens);
                    if (tokens.Count > maxTokens) return Encoding.Exceeded;
                }
            }
            if (tokens.Count > maxTokens) return Encoding.Exceeded;
        }
        if (tokens.Count > maxTokens) return Encoding.Exceeded; // added tokens alone
        postProcessor?.Process(tokens, addSpecialTokens);

        var cpOf = TextUnits.CodePointTable(text);
        var ids = new int[tokens.Count];
        var strings = new string[tokens.Count];
        var offsets = new (int, int)[tokens.Count];
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            ids[i] = t.Id;
            strings[i] = t.Token;
            offsets[i] = cpOf == null ? (t.Utf16Start, t.Utf16End) : (cpOf[t.Utf16Start], cpOf[t.Utf16End]);
        }
        return new Encoding(ids, strings, offsets);
    }

    /// <summary>No token covers more UTF-16 units of (normalized) text than this: the longest vocabulary or added token.</summary>
    private int LongestToken => longestToken ??= Math.Max(model.MaxTokenLength, AddedTokens.Count == 0 ? 1 : AddedTokens.Max(t => Math.Max(t.Content.Length, addedTokenText[t.Id].Length)));

    private int? longestToken;

    /// <summary>
    /// True when a prefix of <paramref name="text"/> already proves more than <paramref name="maxTokens"/> tokens.
    /// The prefix is normalized and pre-tokenized as usual; every pre-token piece of n units needs at least
    /// max(1, ⌈n / <see cref="LongestToken"/>⌉) tokens, since no token covers more units and tokens never cross
    /// pieces. Pieces within <c>slack</c> of the cut are not counted: a cut can split a normalizer match, an added
    /// token or a regex look-ahead. The prefix is a few characters per allowed token, so the cost follows the
    /// context, not the input. Pre-tokenizers that drop text and fused unknown tokens break the bound; those
    /// tokenizers rely on the exact count alone.
    /// </summary>
    private bool CertainlyMoreTokens(string text, int maxTokens)
    {
        if (model.FusesUnknown || (preTokenizer?.MayRemoveText ?? false)) return false;
        int longest = LongestToken;
        long slack = 256 + 2L * longest;
        // Pre-tokenized text has about 4-6 characters per piece; one piece (no pre-tokenizer) needs L per token.
        long perToken = preTokenizer is null ? longest : Math.Min(longest, 8);
        long cutAt = (maxTokens + 1L) * perToken * 5 / 4 + slack;
        if (text.Length <= cutAt) return false; // short enough to encode exactly
        int cut = (int)cutAt;
        if (char.IsHighSurrogate(text[cut - 1])) cut--;
        long countable = cut - slack;
        var prefix = text[..cut];
        long tokens = 0;
        var splits = new List<(AddedToken? Token, int Start, int End)>();
        var normSplits = new List<(AddedToken? Token, int Start, int End)>();
        var pieces = new List<NormalizedText>();
        rawAdded.FindMatches(prefix, splits);
        foreach (var (token, s, e) in splits)
        {
            if (e <= s) continue;
            if (token != null)
            {
                if (e <= countable) tokens++;
                continue;
            }
            var raw = NormalizedText.FromOriginal(prefix[s..e], s);
            var normalized = normalizer?.Normalize(raw) ?? raw;
            normalizedAdded.FindMatches(normalized.Text, normSplits);
            foreach (var (added, ns, ne) in normSplits)
            {
                if (ne <= ns) continue;
                var piece = normalized.Slice(ns, ne);
                if (added != null)
                {
                    if (piece.EndOf(piece.Length - 1) <= countable) tokens++;
                    continue;
                }
                pieces.Clear();
                pieces.Add(piece);
                preTokenizer?.PreTokenize(pieces);
                foreach (var p in pieces)
                {
                    // Units of the piece inside the countable part (a piece can run past it: one piece without a pre-tokenizer).
                    int lo = 0, hi = p.Length;
                    while (lo < hi)
                    {
                        int mid = (lo + hi + 1) / 2;
                        if (p.EndOf(mid - 1) <= countable) lo = mid; else hi = mid - 1;
                    }
                    tokens += (lo + longest - 1) / longest;
                }
            }
            if (tokens > maxTokens) return true;
        }
        return tokens > maxTokens;
    }

    /// <summary>Runs the model on one pre-token and maps each token's bytes back to the input.</summary>
    private void EncodeWord(NormalizedText piece, List<EncodedToken> tokens)
    {
        if (piece.Length == 0) return;
        var word = piece.Text;
        var bpe = model.Tokenize(word, byteLevel);
        // Tokens cover the word's UTF-8 bytes in order: walk characters and bytes together.
        int unit = 0, byteAt = 0; // the character starting at UTF-16 `unit` starts at UTF-8 `byteAt`
        foreach (var t in bpe)
        {
            while (unit < word.Length && byteAt + TextUnits.Utf8Length(word, unit) <= t.ByteStart)
            {
                byteAt += TextUnits.Utf8Length(word, unit);
                unit += TextUnits.CharLength(word, unit);
            }
            int u0 = unit;
            int u1 = unit, b1 = byteAt;
            while (u1 < word.Length && b1 < t.ByteEnd)
            {
                b1 += TextUnits.Utf8Length(word, u1);
                u1 += TextUnits.CharLength(word, u1);
            }
            var (start, end) = piece.OriginalRange(u0, u1);
            tokens.Add(new EncodedToken(t.Id, model.IdToToken(t.Id) ?? "", start, end));
        }
    }

    /// <summary>Decodes ids to text (unknown ids are ignored, as in the Rust library).</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (var id in ids)
        {
            var t = IdToToken(id);
            if (t == null || (skipSpecialTokens && specialContents.Contains(t))) continue;
            tokens.Add(t);
        }
        if (decoder == null) return string.Join(' ', tokens);
        decoder.DecodeChain(tokens);
        return string.Concat(tokens);
    }

    /// <summary>Decodes ids to text (unknown ids are ignored).</summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false) => ids switch
    {
        int[] a => Decode(a.AsSpan(), skipSpecialTokens),
        List<int> l => Decode(CollectionsMarshal.AsSpan(l), skipSpecialTokens),
        _ => Decode(ids.ToArray().AsSpan(), skipSpecialTokens),
    };

    /// <summary>A new incremental decoder for one generated sequence.</summary>
    public StreamingDetokenizer CreateStreamingDetokenizer(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);
}
