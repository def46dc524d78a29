namespace SteerServer.Models.Generation;

/// <summary>
/// Finds stop strings in a stream of text deltas. Matching runs on the accumulated text, so a stop string split
/// across tokens is found; text that could still be the start of a stop string is held back, so no part of a
/// stop string is ever emitted. Ordinal comparison. One per sequence.
/// </summary>
public sealed class StopMatcher
{
    private readonly string[] stops;
    private readonly int maxStop;
    private string held = ""; // emitted-pending text: a suffix that is a proper prefix of some stop string

    public StopMatcher(IReadOnlyList<string> stops)
    {
        foreach (var s in stops) ArgumentException.ThrowIfNullOrEmpty(s, nameof(stops));
        this.stops = [.. stops];
        maxStop = this.stops.Length == 0 ? 0 : this.stops.Max(s => s.Length);
    }

    /// <summary>True once a stop string matched; later input is ignored.</summary>
    public bool Matched { get; private set; }

    /// <summary>Adds <paramref name="delta"/>; returns the text that is now safe to emit (everything before a match).</summary>
    public string Push(string delta)
    {
        if (Matched) return "";
        if (stops.Length == 0) return delta;
        if (delta.Length == 0) return "";
        var text = held + delta;
        // Earliest match over all stop strings (a match can only involve held text plus this delta).
        int cut = -1;
        foreach (var s in stops)
        {
            int at = text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Matched = true;
            held = "";
            return text[..cut];
        }
        int keep = LongestPrefixSuffix(text);
        held = text[(text.Length - keep)..];
        return text[..(text.Length - keep)];
    }

    /// <summary>At the end of generation: the held text (it never completed a stop string).</summary>
    public string Flush()
    {
        var rest = Matched ? "" : held;
        held = "";
        return rest;
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of a stop string.</summary>
    private int LongestPrefixSuffix(string text)
    {
        for (int len = Math.Min(maxStop - 1, text.Length); len > 0; len--)
        {
            var suffix = text.AsSpan(text.Length - len);
            foreach (var s in stops)
                if (s.Length > len && s.AsSpan(0, len).SequenceEqual(suffix)) return len;
        }
        return 0;
    }
}
