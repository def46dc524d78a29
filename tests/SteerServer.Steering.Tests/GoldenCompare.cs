using System.Text.Json;

namespace SteerServer.Steering.Tests;

/// <summary>Logit and top-5 comparisons as golden/README.md "Recommended tolerances" describes.</summary>
internal static class GoldenCompare
{
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
        Assert.Equal(expected.GetArrayLength(), actual.Length);
        int i = 0;
        double worst = 0;
        foreach (var e in expected.EnumerateArray())
        {
            worst = Math.Max(worst, Math.Abs(e.GetDouble() - actual[i]));
            i++;
        }
        Assert.True(worst <= Tolerances.Logit, $"{what}: max |Δlogit| = {worst:g4}");
    }

    /// <summary>Every golden id's logprob within the tolerance; ids of our top 5 missing from the golden are near ties with its 5th.</summary>
    public static void Top5(JsonElement expected, ReadOnlySpan<float> logits, string what)
    {
        var lp = LogSoftmax(logits);
        var golden = expected.EnumerateArray().Select(p => (Id: p[0].GetInt32(), Lp: p[1].GetDouble())).ToList();
        foreach (var (id, glp) in golden)
            Assert.True(Math.Abs(lp[id] - glp) <= Tolerances.Logit, $"{what}: id {id} logprob {lp[id]:g6}, golden {glp:g6}");
        double fifth = golden[^1].Lp;
        foreach (var id in Enumerable.Range(0, lp.Length).OrderByDescending(i => lp[i]).ThenBy(i => i).Take(golden.Count))
            if (!golden.Any(g => g.Id == id))
                Assert.True(lp[id] <= fifth + Tolerances.Logit, $"{what}: id {id} in our top 5, not the golden's");
    }
}
