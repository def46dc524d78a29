using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Pasta;

/// <summary>
/// PASTA's key-column offsets for one steered head (steering-methods.md §1.4, current-code column).
/// With k ranges, n(j) = number of ranges containing column j and λ = ln α, over prompt columns j:
/// exclude λ·(k − n(j)); include λ·(n(j) − 1), or 0 when k = 0; generation λ·k.
/// Duplicate and overlapping ranges count once per listing, so duplicates double the effect.
/// </summary>
public static class PastaOffsets
{
    /// <summary>The offset row over <c>[0, promptLength)</c>, computed in double and rounded once to float.</summary>
    public static float[] Compute(ScalePosition mode, double lambda, IReadOnlyList<TokenRange> ranges, int promptLength)
    {
        var row = new float[promptLength];
        Add(mode, lambda, ranges, row);
        return row;
    }

    /// <summary>Adds the offsets to <paramref name="row"/> (length = prompt length), so PASTA and GUIDE sum.</summary>
    public static void Add(ScalePosition mode, double lambda, IReadOnlyList<TokenRange> ranges, Span<float> row)
    {
        int k = ranges.Count;
        if (k == 0) return; // every mode gives 0 without a range (include: the row is untouched)
        var n = new int[row.Length];
        foreach (var r in ranges)
            for (int j = Math.Max(r.TokenStart, 0); j < Math.Min(r.TokenEnd, row.Length); j++)
                n[j]++;
        for (int j = 0; j < row.Length; j++)
        {
            double o = mode switch
            {
                ScalePosition.Exclude => lambda * (k - n[j]),
                ScalePosition.Include => lambda * (n[j] - 1),
                _ => lambda * k,
            };
            row[j] = (float)(row[j] + o);
        }
    }
}
