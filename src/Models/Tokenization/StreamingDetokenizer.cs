using System.Text;

namespace SteerServer.Models.Tokenization;

/// <summary>
/// Incremental decoding for streaming (one per sequence, not thread-safe). Like the Rust
/// library's <c>DecodeStream</c>: it re-decodes a short window of recent ids and returns only the
/// new suffix, and holds output back while the window's text ends in U+FFFD (an unfinished UTF-8
/// sequence, e.g. half of an emoji split over byte tokens). The concatenation of every
/// <see cref="Add"/> and the final <see cref="Flush"/> equals <see cref="Tokenizer.Decode"/> of all ids.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly Tokenizer tokenizer;
    private readonly bool skipSpecialTokens;
    private readonly List<int> window = [];      // ids since the start of the last emitted group
    private readonly List<int> all = [];         // every id, only for the (rare) fallback below
    private readonly StringBuilder emitted = new();
    private string prefix = "";                  // decode(window) as of the last emission
    private int prefixIndex;                     // ids of the window that form the previous group

    internal StreamingDetokenizer(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the new text (possibly empty).</summary>
    public string Add(int id)
    {
        window.Add(id);
        all.Add(id);
        var text = tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(window), skipSpecialTokens);
        if (text.Length <= prefix.Length || text.EndsWith('\uFFFD')) return "";
        if (!text.StartsWith(prefix, StringComparison.Ordinal)) return Resynchronize();
        var delta = text[prefix.Length..];
        int newPrefixIndex = window.Count - prefixIndex;
        window.RemoveRange(0, prefixIndex);
        prefix = tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(window), skipSpecialTokens);
        prefixIndex = newPrefixIndex;
        emitted.Append(delta);
        return delta;
    }

    /// <summary>Returns whatever was held back (e.g. an incomplete character at the end), then resets nothing: call once at the end.</summary>
    public string Flush()
    {
        var text = tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(window), skipSpecialTokens);
        if (text.Length <= prefix.Length) return "";
        if (!text.StartsWith(prefix, StringComparison.Ordinal)) return Resynchronize(force: true);
        var delta = text[prefix.Length..];
        emitted.Append(delta);
        window.Clear();
        window.AddRange(all.Count > 0 ? [all[^1]] : []);
        prefix = tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(window), skipSpecialTokens);
        prefixIndex = window.Count;
        return delta;
    }

    // The window no longer extends what was emitted (no decoder here does that, but a new one
    // might): fall back to decoding everything and emit what is new.
    private string Resynchronize(bool force = false)
    {
        var whole = tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all), skipSpecialTokens);
        if (!force && whole.EndsWith('\uFFFD')) return "";
        var done = emitted.ToString();
        if (!whole.StartsWith(done, StringComparison.Ordinal) || whole.Length <= done.Length) return "";
        var delta = whole[done.Length..];
        emitted.Append(delta);
        window.Clear();
        window.Add(all[^1]);
        prefix = tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(window), skipSpecialTokens);
        prefixIndex = 1;
        return delta;
    }
}
