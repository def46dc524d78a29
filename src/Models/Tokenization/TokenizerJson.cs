using System.Text.Json;
using System.Text.RegularExpressions;
using SteerServer.Models.Errors;
using SteerServer.Models.Tokenization.Bpe;
using SteerServer.Models.Tokenization.Decoders;
using SteerServer.Models.Tokenization.Normalizers;
using SteerServer.Models.Tokenization.PostProcessors;
using SteerServer.Models.Tokenization.PreTokenizers;

namespace SteerServer.Models.Tokenization;

/// <summary>
/// Reads <c>tokenizer.json</c> (the Rust library's serialization) and <c>tokenizer_config.json</c>.
/// Each stage dispatches on <c>"type"</c>; anything the pipeline does not implement is a load-time
/// <see cref="SteerException"/> that names the feature, never a silently different tokenization.
/// </summary>
internal static class TokenizerJson
{
    public static Tokenizer Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path))
            throw SteerException.InvalidModel(path, "not found (a Hugging Face tokenizer.json is required)");
        var configPath = Path.Combine(modelDir, "tokenizer_config.json");
        var config = File.Exists(configPath) ? File.ReadAllText(configPath) : null;
        return Parse(File.ReadAllText(path), config, path);
    }

    public static Tokenizer Parse(string json, string? configJson, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            foreach (var key in new[] { "truncation", "padding" })
                if (root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null)
                    throw Unsupported(source, key, "is set; truncation and padding are not supported");

            var normalizer = Optional(root, "normalizer") is { } n ? ParseNormalizer(n, source) : null;
            var preTokenizer = Optional(root, "pre_tokenizer") is { } p ? ParsePreTokenizer(p, source, isLast: true) : null;
            var model = ParseModel(root.GetProperty("model"), source);
            var post = Optional(root, "post_processor") is { } pp ? ParsePostProcessor(pp, source) : null;
            var decoder = Optional(root, "decoder") is { } d ? ParseDecoder(d, source) : null;
            var added = new List<AddedToken>();
            if (Optional(root, "added_tokens") is { } at)
                foreach (var t in at.EnumerateArray())
                    added.Add(new AddedToken(t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString()!,
                        Bool(t, "special"), Bool(t, "normalized", !Bool(t, "special")), Bool(t, "lstrip"), Bool(t, "rstrip"), Bool(t, "single_word")));

            string? bos = null, eos = null;
            if (configJson != null)
            {
                using var cfg = JsonDocument.Parse(configJson);
                bos = TokenText(cfg.RootElement, "bos_token");
                eos = TokenText(cfg.RootElement, "eos_token");
            }
            return new Tokenizer(normalizer, preTokenizer, model, post, decoder, added, bos, eos);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw SteerException.InvalidModel(source, $"cannot read tokenizer: {e.Message}", e);
        }
    }

    private static SteerException Unsupported(string source, string feature, string what) =>
        SteerException.InvalidModel(source, $"unsupported tokenizer feature: {feature} {what}");

    private static JsonElement? Optional(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static bool Bool(JsonElement e, string name, bool fallback = false) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new KeyNotFoundException($"'{name}' is missing");

    private static string TypeOf(JsonElement e) =>
        e.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";

    /// <summary>A special-token setting of tokenizer_config.json: a string, an AddedToken object, or null.</summary>
    private static string? TokenText(JsonElement cfg, string name)
    {
        if (!cfg.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        };
    }

    // ---- normalizers --------------------------------------------------------------------------

    private static INormalizer ParseNormalizer(JsonElement e, string source)
    {
        switch (TypeOf(e))
        {
            case "Sequence":
                return new SequenceNormalizer([.. e.GetProperty("normalizers").EnumerateArray().Select(x => ParseNormalizer(x, source))]);
            case "Prepend":
                return new PrependNormalizer(Str(e, "prepend"));
            case "Replace":
                return new ReplaceNormalizer(Pattern(e.GetProperty("pattern"), source, "normalizer Replace"), Str(e, "content"));
            case "NFC":
                return new NfcNormalizer();
            default:
                throw Unsupported(source, $"normalizer type '{TypeOf(e)}'", "is not implemented");
        }
    }

    /// <summary>A <c>{"String": s}</c> or <c>{"Regex": r}</c> pattern as a compiled regex.</summary>
    private static Regex Pattern(JsonElement p, string source, string where)
    {
        if (p.TryGetProperty("String", out var s)) return new Regex(Regex.Escape(s.GetString()!), RegexOptions.CultureInvariant);
        if (p.TryGetProperty("Regex", out var r)) return new Regex(OnigPattern.ToDotNet(r.GetString()!), RegexOptions.Compiled | RegexOptions.CultureInvariant);
        throw Unsupported(source, where, $"pattern {p.GetRawText()}");
    }

    // ---- pre-tokenizers -----------------------------------------------------------------------

    private static IPreTokenizer ParsePreTokenizer(JsonElement e, string source, bool isLast)
    {
        switch (TypeOf(e))
        {
            case "Sequence":
            {
                var items = e.GetProperty("pretokenizers").EnumerateArray().ToList();
                return new SequencePreTokenizer([.. items.Select((x, i) => ParsePreTokenizer(x, source, isLast && i == items.Count - 1))]);
            }
            case "Split":
            {
                var p = e.GetProperty("pattern");
                var pattern = p.TryGetProperty("Regex", out var r) ? r.GetString()!
                    : p.TryGetProperty("String", out var s) ? Regex.Escape(s.GetString()!)
                    : throw Unsupported(source, "pre_tokenizer Split", $"pattern {p.GetRawText()}");
                var behavior = Enum.TryParse<SplitBehavior>(Str(e, "behavior"), out var b) ? b
                    : throw Unsupported(source, "pre_tokenizer Split", $"behavior '{Str(e, "behavior")}'");
                return new SplitPreTokenizer(new RegexSplitter(pattern), behavior, Bool(e, "invert"));
            }
            case "ByteLevel":
                // Byte-level pieces are bytes; another stage after this one would see bytes, which we do not model.
                if (!isLast) throw Unsupported(source, "pre_tokenizer ByteLevel", "followed by another pre-tokenizer");
                return new ByteLevelPreTokenizer(Bool(e, "add_prefix_space"), Bool(e, "use_regex", true));
            case "Metaspace":
            {
                var replacement = Str(e, "replacement");
                if (replacement.Length != 1) throw Unsupported(source, "pre_tokenizer Metaspace", $"replacement '{replacement}'");
                var scheme = e.TryGetProperty("prepend_scheme", out var ps) ? ps.GetString()! : Bool(e, "add_prefix_space", true) ? "always" : "never";
                return new MetaspacePreTokenizer(replacement[0], scheme, Bool(e, "split", true));
            }
            case "Digits":
                return new DigitsPreTokenizer(Bool(e, "individual_digits"));
            default:
                throw Unsupported(source, $"pre_tokenizer type '{TypeOf(e)}'", "is not implemented");
        }
    }

    // ---- model --------------------------------------------------------------------------------

    private static BpeModel ParseModel(JsonElement e, string source)
    {
        var type = TypeOf(e);
        if (type != "BPE" && !(type == "" && e.TryGetProperty("merges", out _)))
            throw Unsupported(source, $"model type '{type}'", "is not implemented (only BPE)");
        if (Optional(e, "dropout") is { } dropout && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
            throw Unsupported(source, "model.dropout", "is set (BPE dropout is not supported)");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in e.GetProperty("vocab").EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();

        var merges = new List<(string, string)>();
        int line = 0;
        foreach (var m in e.GetProperty("merges").EnumerateArray())
        {
            line++;
            if (m.ValueKind == JsonValueKind.Array)
            {
                if (m.GetArrayLength() != 2) throw SteerException.InvalidModel(source, $"merge {line} is not a pair");
                merges.Add((m[0].GetString()!, m[1].GetString()!));
            }
            else
            {
                var parts = m.GetString()!.Split(' ');
                if (parts.Length != 2) throw SteerException.InvalidModel(source, $"merge {line} '{m.GetString()}' is not two tokens separated by one space");
                merges.Add((parts[0], parts[1]));
            }
        }
        string? OptStr(string name) => Optional(e, name) is { } v ? v.GetString() : null;
        return new BpeModel(vocab, merges, OptStr("unk_token"), Bool(e, "fuse_unk"), Bool(e, "byte_fallback"), Bool(e, "ignore_merges"),
            OptStr("continuing_subword_prefix"), OptStr("end_of_word_suffix"));
    }

    // ---- post-processors ----------------------------------------------------------------------

    private static IPostProcessor ParsePostProcessor(JsonElement e, string source)
    {
        switch (TypeOf(e))
        {
            case "Sequence":
                return new SequencePostProcessor([.. e.GetProperty("processors").EnumerateArray().Select(x => ParsePostProcessor(x, source))]);
            case "ByteLevel":
                if (Bool(e, "trim_offsets")) throw Unsupported(source, "post_processor ByteLevel trim_offsets", "is true");
                return new ByteLevelPostProcessor();
            case "TemplateProcessing":
            {
                var specials = new Dictionary<string, (int[] Ids, string[] Tokens)>(StringComparer.Ordinal);
                if (Optional(e, "special_tokens") is { } st)
                    foreach (var p in st.EnumerateObject())
                        specials[p.Name] = ([.. p.Value.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())],
                            [.. p.Value.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!)]);
                var pieces = new List<TemplateProcessing.Piece>();
                foreach (var item in e.GetProperty("single").EnumerateArray())
                {
                    if (item.TryGetProperty("Sequence", out var seq))
                    {
                        if (Str(seq, "id") != "A") throw Unsupported(source, "post_processor TemplateProcessing", $"single sequence '{Str(seq, "id")}'");
                        pieces.Add(new TemplateProcessing.Piece(null, null));
                    }
                    else if (item.TryGetProperty("SpecialToken", out var sp))
                    {
                        var name = Str(sp, "id");
                        if (!specials.TryGetValue(name, out var s))
                            throw SteerException.InvalidModel(source, $"post_processor TemplateProcessing uses special token '{name}' missing from special_tokens");
                        pieces.Add(new TemplateProcessing.Piece(s.Ids, s.Tokens));
                    }
                    else throw Unsupported(source, "post_processor TemplateProcessing", $"item {item.GetRawText()}");
                }
                return new TemplateProcessing(pieces);
            }
            default:
                throw Unsupported(source, $"post_processor type '{TypeOf(e)}'", "is not implemented");
        }
    }

    // ---- decoders -----------------------------------------------------------------------------

    private static IDecoder ParseDecoder(JsonElement e, string source)
    {
        switch (TypeOf(e))
        {
            case "Sequence":
                return new SequenceDecoder([.. e.GetProperty("decoders").EnumerateArray().Select(x => ParseDecoder(x, source))]);
            case "ByteLevel":
                return new ByteLevelDecoder();
            case "Replace":
            {
                var p = e.GetProperty("pattern");
                if (!p.TryGetProperty("String", out var s)) throw Unsupported(source, "decoder Replace", $"pattern {p.GetRawText()}");
                return new ReplaceDecoder(s.GetString()!, Str(e, "content"));
            }
            case "ByteFallback":
                return new ByteFallbackDecoder();
            case "Fuse":
                return new FuseDecoder();
            case "Strip":
            {
                var content = Str(e, "content");
                if (content.Length != 1) throw Unsupported(source, "decoder Strip", $"content '{content}'");
                return new StripDecoder(content[0], e.GetProperty("start").GetInt32(), e.GetProperty("stop").GetInt32());
            }
            case "Metaspace":
            {
                var replacement = Str(e, "replacement");
                if (replacement.Length != 1) throw Unsupported(source, "decoder Metaspace", $"replacement '{replacement}'");
                var scheme = e.TryGetProperty("prepend_scheme", out var ps) ? ps.GetString()! : Bool(e, "add_prefix_space", true) ? "always" : "never";
                return new MetaspaceDecoder(replacement[0], scheme);
            }
            default:
                throw Unsupported(source, $"decoder type '{TypeOf(e)}'", "is not implemented");
        }
    }
}
