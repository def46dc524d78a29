using System.Collections.Concurrent;
using System.Text;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Tokenization.Bpe;

/// <summary>
/// <c>{"model":{"type":"BPE",...}}</c>: the vocabulary, the ranked merges and the merge loop of
/// the Rust library's <c>models/bpe</c> (priority queue on (rank, position), so ties go to the
/// leftmost pair), with byte fallback, unknown-token fusing and <c>ignore_merges</c>.
/// Words are either byte-level (each UTF-8 byte is a symbol, spelled with
/// <see cref="ByteLevelAlphabet"/>) or character-level (each character is a symbol).
/// Results are cached per word; the cache is bounded and safe for concurrent use.
/// </summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 100_000;
    private const int MaxCachedWordLength = 256;

    private readonly Dictionary<string, int> vocab;
    private readonly string?[] idToToken;                  // [maxId + 1]
    private readonly Dictionary<long, (int Rank, int NewId)> merges; // key (left << 32) | right
    private readonly int unkId;                            // -1 when there is no unk token
    private readonly bool fuseUnk, byteFallback, ignoreMerges;
    private readonly string prefix, suffix;                // continuing_subword_prefix / end_of_word_suffix ("" = none)
    private readonly int[] byteLevelIds;                   // [256] id of each byte-level character, -1 when missing
    private readonly int[] byteFallbackIds;                // [256] id of "<0xXX>", -1 when missing
    private readonly ConcurrentDictionary<string, BpeToken[]> byteLevelCache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BpeToken[]> charCache = new(StringComparer.Ordinal);
    private int cacheCount;                                // entries in both caches (ConcurrentDictionary.Count takes every lock)

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> mergeList, string? unkToken,
        bool fuseUnk, bool byteFallback, bool ignoreMerges, string? continuingSubwordPrefix, string? endOfWordSuffix)
    {
        this.vocab = vocab;
        int maxId = vocab.Count == 0 ? -1 : vocab.Values.Max();
        idToToken = new string?[maxId + 1];
        foreach (var (t, id) in vocab) idToToken[id] = t;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        prefix = continuingSubwordPrefix ?? "";
        suffix = endOfWordSuffix ?? "";
        unkId = -1;
        if (unkToken != null)
        {
            if (!vocab.TryGetValue(unkToken, out unkId))
                throw SteerException.InvalidModel("tokenizer.json", $"model.unk_token '{unkToken}' is not in the vocabulary");
        }

        merges = new Dictionary<long, (int, int)>(mergeList.Count, PairComparer.Instance);
        for (int rank = 0; rank < mergeList.Count; rank++)
        {
            var (left, right) = mergeList[rank];
            if (!vocab.TryGetValue(left, out var a) || !vocab.TryGetValue(right, out var b))
                throw SteerException.InvalidModel("tokenizer.json", $"merge {rank} ('{left}' '{right}') uses a token that is not in the vocabulary");
            var merged = left + (prefix.Length > 0 && right.StartsWith(prefix, StringComparison.Ordinal) ? right[prefix.Length..] : right);
            if (!vocab.TryGetValue(merged, out var newId))
                throw SteerException.InvalidModel("tokenizer.json", $"merge {rank} ('{left}' '{right}') makes '{merged}', which is not in the vocabulary");
            merges[((long)a << 32) | (uint)b] = (rank, newId); // a repeated pair keeps its last rank, as the Rust HashMap collect does
        }

        byteLevelIds = new int[256];
        byteFallbackIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            byteLevelIds[b] = vocab.TryGetValue(ByteLevelAlphabet.ByteToChar[b].ToString(), out var id) ? id : -1;
            byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out var fid) ? fid : -1;
        }
    }

    public int VocabSize => idToToken.Length;

    /// <summary>The longest token string: no token covers more UTF-16 units of the normalized text (bytes, when byte-level).</summary>
    public int MaxTokenLength => maxTokenLength ??= vocab.Count == 0 ? 1 : vocab.Keys.Max(k => k.Length);

    private int? maxTokenLength;

    /// <summary>True when one unknown token may cover any number of characters (fuse_unk), so length says nothing about the count.</summary>
    /// (With byte fallback over all 256 bytes no character is ever unknown.)
    public bool FusesUnknown => fuseUnk && unkId >= 0 && !(byteFallback && Array.TrueForAll(byteFallbackIds, id => id >= 0));

    public string? IdToToken(int id) => (uint)id < (uint)idToToken.Length ? idToToken[id] : null;

    public int? TokenToId(string token) => vocab.TryGetValue(token, out var id) ? id : null;

    /// <summary>Tokenizes one pre-token. Token byte ranges are relative to the UTF-8 encoding of <paramref name="word"/>.</summary>
    public BpeToken[] Tokenize(string word, bool byteLevel)
    {
        if (word.Length == 0) return [];
        var cache = byteLevel ? byteLevelCache : charCache;
        if (cache.TryGetValue(word, out var cached)) return cached;
        var result = byteLevel ? TokenizeByteLevel(word) : TokenizeChars(word);
        if (word.Length <= MaxCachedWordLength && Volatile.Read(ref cacheCount) < CacheCapacity && cache.TryAdd(word, result))
            Interlocked.Increment(ref cacheCount);
        return result;
    }

    private BpeToken[] TokenizeByteLevel(string word)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(word);
        if (ignoreMerges || prefix.Length > 0 || suffix.Length > 0)
        {
            // Needs the spelled-out byte-level string.
            var chars = new char[bytes.Length];
            for (int i = 0; i < bytes.Length; i++) chars[i] = ByteLevelAlphabet.ByteToChar[bytes[i]];
            var units = new List<(string Text, int ByteLength)>(bytes.Length);
            for (int i = 0; i < chars.Length; i++) units.Add((chars[i].ToString(), 1));
            if (ignoreMerges && vocab.TryGetValue(new string(chars), out var whole)) return [new BpeToken(whole, 0, bytes.Length)];
            return MergeWord(units);
        }
        // Fast path: one symbol per byte.
        var symbols = new Symbol[bytes.Length];
        int n = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            int id = byteLevelIds[bytes[i]];
            if (id >= 0) symbols[n++] = new Symbol(id, 1);
            else if (unkId >= 0) AddUnk(symbols, ref n, 1, lastWasUnk: n > 0 && symbols[n - 1].Id == unkId && fuseUnk);
        }
        return Merge(symbols, n);
    }

    private BpeToken[] TokenizeChars(string word)
    {
        var units = new List<(string Text, int ByteLength)>(word.Length);
        for (int i = 0; i < word.Length;)
        {
            int len = TextUnits.CharLength(word, i);
            units.Add((word.Substring(i, len), TextUnits.Utf8Length(word, i)));
            i += len;
        }
        return MergeWord(units);
    }

    /// <summary><c>BPE::merge_word</c>: initial symbols (with prefix/suffix, byte fallback, unk), then the merge loop.</summary>
    private BpeToken[] MergeWord(List<(string Text, int ByteLength)> units)
    {
        var symbols = new Symbol[units.Count * 4 + 1];
        int n = 0;
        int pendingUnkLength = 0; // bytes of an unknown run not yet added (-1 = none)
        bool pendingUnk = false;
        for (int u = 0; u < units.Count; u++)
        {
            var (s, byteLen) = units[u];
            if (u > 0 && prefix.Length > 0) s = prefix + s;
            if (u == units.Count - 1 && suffix.Length > 0) s += suffix;
            if (vocab.TryGetValue(s, out var id))
            {
                if (pendingUnk) { symbols[n++] = new Symbol(unkId, pendingUnkLength); pendingUnk = false; }
                symbols[n++] = new Symbol(id, byteLen);
                continue;
            }
            if (byteFallback)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(s);
                bool all = true;
                foreach (var b in bytes) if (byteFallbackIds[b] < 0) { all = false; break; }
                if (all)
                {
                    // The Rust code does not flush a pending unk here (it is added later, out of order).
                    if (n + bytes.Length > symbols.Length) Array.Resize(ref symbols, (n + bytes.Length) * 2);
                    foreach (var b in bytes) symbols[n++] = new Symbol(byteFallbackIds[b], 1);
                    continue;
                }
            }
            if (unkId >= 0)
            {
                if (pendingUnk && fuseUnk) pendingUnkLength += byteLen;
                else
                {
                    if (pendingUnk) symbols[n++] = new Symbol(unkId, pendingUnkLength);
                    pendingUnk = true;
                    pendingUnkLength = byteLen;
                }
            }
        }
        if (pendingUnk) symbols[n++] = new Symbol(unkId, pendingUnkLength);
        return Merge(symbols, n);
    }

    private void AddUnk(Symbol[] symbols, ref int n, int byteLen, bool lastWasUnk)
    {
        if (lastWasUnk) symbols[n - 1] = symbols[n - 1] with { Length = symbols[n - 1].Length + byteLen };
        else symbols[n++] = new Symbol(unkId, byteLen);
    }

    /// <summary><c>Word::merge_all</c> without dropout.</summary>
    private BpeToken[] Merge(Symbol[] symbols, int n)
    {
        if (n == 0) return [];
        var prev = new int[n];
        var next = new int[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }

        if (n > 1)
        {
            var queue = new PriorityQueue<(int Pos, int NewId), long>();
            for (int i = 0; i + 1 < n; i++)
                if (merges.TryGetValue(Key(symbols[i].Id, symbols[i + 1].Id), out var m))
                    queue.Enqueue((i, m.NewId), Priority(m.Rank, i));

            while (queue.TryDequeue(out var top, out _))
            {
                int pos = top.Pos;
                if (symbols[pos].Length == 0) continue;   // merged into its left neighbour
                int right = next[pos];
                if (right < 0) continue;
                // Skip expired entries: the pair at pos must still produce this merge.
                if (!merges.TryGetValue(Key(symbols[pos].Id, symbols[right].Id), out var cur) || cur.NewId != top.NewId) continue;

                symbols[pos] = new Symbol(top.NewId, symbols[pos].Length + symbols[right].Length);
                symbols[right] = symbols[right] with { Length = 0 };
                int after = next[right];
                next[pos] = after;
                if (after >= 0) prev[after] = pos;

                if (prev[pos] >= 0 && merges.TryGetValue(Key(symbols[prev[pos]].Id, symbols[pos].Id), out var lm))
                    queue.Enqueue((prev[pos], lm.NewId), Priority(lm.Rank, prev[pos]));
                if (after >= 0 && merges.TryGetValue(Key(symbols[pos].Id, symbols[after].Id), out var rm))
                    queue.Enqueue((pos, rm.NewId), Priority(rm.Rank, pos));
            }
        }

        int count = 0;
        for (int i = 0; i < n; i++) if (symbols[i].Length != 0) count++;
        var result = new BpeToken[count];
        int k = 0, offset = 0;
        for (int i = 0; i < n; i++)
        {
            if (symbols[i].Length == 0) continue;
            result[k++] = new BpeToken(symbols[i].Id, offset, offset + symbols[i].Length);
            offset += symbols[i].Length;
        }
        return result;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static long Priority(int rank, int pos) => ((long)rank << 32) | (uint)pos;

    private readonly record struct Symbol(int Id, int Length);

    /// <summary>
    /// long's own hash is high ^ low, which sends every (x, x) pair to bucket 0 and made a word
    /// like "aaaa…" walk a chain of hundreds of merges per lookup; a multiplicative hash spreads them.
    /// </summary>
    private sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key) => (int)((ulong)key * 0x9E3779B97F4A7C15UL >> 32);
    }
}
