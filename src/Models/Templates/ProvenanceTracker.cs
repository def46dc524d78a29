namespace SteerServer.Models.Templates;

/// <summary>
/// Remembers, per string instance, which ranges of it are verbatim copies of message content. Only the operations
/// that carry content into the output unchanged propagate it: <c>+</c>, <c>~</c>, trim/strip, printing, and the
/// captured output of macros and block sets. Every other operation yields an untracked string, so tracking can
/// never change what is rendered. Keys are compared by reference: the tracked strings are fresh instances.
/// </summary>
internal sealed class ProvenanceTracker
{
    /// <summary>
    /// <paramref name="Length"/> UTF-16 units at <paramref name="Start"/> of a string are content of message
    /// <paramref name="Message"/> (part <paramref name="Part"/>, or -1 for a string content) from UTF-16 offset
    /// <paramref name="ContentStart"/>.
    /// </summary>
    public readonly record struct Segment(int Start, int Length, int Message, int Part, int ContentStart);

    private readonly Dictionary<string, Segment[]> segments = new(ReferenceEqualityComparer.Instance);

    /// <summary>A fresh copy of <paramref name="content"/> marked as message content.</summary>
    public string Track(string content, int message, int part)
    {
        if (content.Length == 0) return content;
        var copy = new string(content.AsSpan());
        segments[copy] = [new Segment(0, copy.Length, message, part, 0)];
        return copy;
    }

    public bool TryGet(string s, out Segment[] segs)
    {
        if (segments.TryGetValue(s, out var found))
        {
            segs = found;
            return true;
        }
        segs = [];
        return false;
    }

    public string Register(string s, Segment[] segs)
    {
        if (s.Length > 0 && segs.Length > 0 && !segments.ContainsKey(s))
            segments[s] = segs;
        return s;
    }

    public string Concat(string left, string right)
    {
        var result = string.Concat(left, right);
        var hasLeft = TryGet(left, out var l);
        var hasRight = TryGet(right, out var r);
        if (!hasLeft && !hasRight || ReferenceEquals(result, left) || ReferenceEquals(result, right))
            return result;
        var combined = new Segment[l.Length + r.Length];
        l.CopyTo(combined, 0);
        for (var i = 0; i < r.Length; i++)
            combined[l.Length + i] = r[i] with { Start = r[i].Start + left.Length };
        segments[result] = combined;
        return result;
    }

    /// <summary>Tracks <paramref name="result"/> = <paramref name="source"/>[<paramref name="start"/>..+result.Length].</summary>
    public string Substring(string source, string result, int start)
    {
        if (ReferenceEquals(source, result) || result.Length == 0 || !TryGet(source, out var segs))
            return result;
        var end = start + result.Length;
        var kept = new List<Segment>();
        foreach (var s in segs)
        {
            var a = Math.Max(s.Start, start);
            var b = Math.Min(s.Start + s.Length, end);
            if (b > a)
                kept.Add(new Segment(a - start, b - a, s.Message, s.Part, s.ContentStart + (a - s.Start)));
        }
        if (kept.Count > 0)
            segments[result] = [.. kept];
        return result;
    }
}
