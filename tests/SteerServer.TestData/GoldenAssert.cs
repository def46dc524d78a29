using System.Text.Json;

using Xunit;

namespace SteerServer.TestData;

/// <summary>Comparisons against golden JSON, as golden/README.md "Recommended tolerances" describes.</summary>
public static class GoldenAssert
{
    public static JsonElement Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static double[] LogSoftmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        double lse = max + Math.Log(sum);
        var result = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++) result[i] = logits[i] - lse;
        return result;
    }

    public static void Logits(JsonElement expected, ReadOnlySpan<float> actual, string what)
    {
        var exp = Doubles(expected);
        Assert.Equal(exp.Length, actual.Length);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < exp.Length; i++)
        {
            double d = Math.Abs(exp[i] - actual[i]);
            if (d > worst) { worst = d; worstAt = i; }
        }
        Assert.True(worst <= Tolerances.Logits, $"{what}: max |Δlogit| = {worst:g4} at id {worstAt} (> {Tolerances.Logits})");
    }

    /// <summary>
    /// A golden top-5 list <c>[[id, logprob] × 5]</c> against our logits: every golden id has its logprob within
    /// the tolerance, and any id in our own top 5 that the golden list lacks is a near tie with the golden 5th.
    /// </summary>
    public static void Top5(JsonElement expected, ReadOnlySpan<float> logits, string what)
    {
        var lp = LogSoftmax(logits);
        var golden = expected.EnumerateArray().Select(p => (Id: p[0].GetInt32(), Lp: p[1].GetDouble())).ToList();
        foreach (var (id, glp) in golden)
            Assert.True(Math.Abs(lp[id] - glp) <= Tolerances.Logits, $"{what}: id {id} logprob {lp[id]:g6}, golden {glp:g6}");
        var ours = Enumerable.Range(0, lp.Length).OrderByDescending(i => lp[i]).ThenBy(i => i).Take(golden.Count);
        double fifth = golden[^1].Lp;
        foreach (var id in ours)
            if (!golden.Any(g => g.Id == id))
                Assert.True(lp[id] <= fifth + Tolerances.Logits, $"{what}: id {id} (logprob {lp[id]:g6}) is in our top 5 but not the golden's (5th {fifth:g6})");
    }
}
