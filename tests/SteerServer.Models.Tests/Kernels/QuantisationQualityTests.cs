using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.Models.Tokenization;
using SteerServer.TestData;
using Xunit.Abstractions;

namespace SteerServer.Models.Tests.Kernels;

/// <summary>
/// What each weight format costs in model quality, on real weights (stories260K) over a few hundred tokens of a story
/// in its own domain, read with teacher forcing: the mean KL divergence of each position's next-token distribution
/// from f32's, how often the greedy (arg-max) token agrees with f32's, and the change in mean log-likelihood of the
/// actual next tokens. The figures are printed (and quoted in notes/speed.md).
/// </summary>
public class QuantisationQualityTests(ITestOutputHelper output)
{
    private const string Story =
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. " +
        "One day, she saw a big red ball under a tree. She wanted to play with it, but it was stuck. Lily asked her mom " +
        "for help. Her mom said, \"Let's try to get the ball together.\" They pulled and pulled, and the ball came out. " +
        "Lily was very happy. She said, \"Thank you, Mom!\" Then she played with the ball all day long. When the sun went " +
        "down, Lily and her mom went home. They ate dinner and Lily went to bed. She dreamed about the big red ball and " +
        "her fun day in the park. The next morning, Lily woke up and saw that it was raining. She was sad because she " +
        "could not go to the park. Her dad saw that she was sad and said, \"Let's build a fort inside!\" They used " +
        "blankets and pillows to make a big fort. Lily and her dad sat in the fort and read books. Lily learned that " +
        "you can have fun even when it rains.";

    // Tolerances, with what was measured on this model (2026-12-07) in brackets; a wrong scale, min, sign or block
    // order gives a KL of whole nats and agreement near chance.
    //   q8_0: mean KL ≤ 0.005 nats, greedy agreement ≥ 97 %, |Δ mean log-likelihood| ≤ 0.01.
    //   q4:   mean KL ≤ 0.05 nats, greedy agreement ≥ 88 %, |Δ mean log-likelihood| ≤ 0.06.
    public static TheoryData<DType, double, double, double> Formats() => new()
    {
        { DType.Q8_0, 0.005, 0.97, 0.01 },
        { DType.Q4, 0.05, 0.88, 0.06 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Stories260K_QuantisedAgainstF32_WithinStatedTolerance(DType dtype, double maxKl, double minAgreement, double maxDeltaLl)
    {
        string dir = TestDataPaths.Models("stories260K");
        var tokens = Tokenizer.Load(dir).Encode(Story).Ids.ToArray();
        Assert.InRange(tokens.Length, 250, 512); // a few hundred tokens, within the model's context

        using var f32 = Model.Load(dir, new ModelLoadOptions { Threads = 2 });
        using var quantised = Model.Load(dir, new ModelLoadOptions { DType = dtype, Threads = 2 });
        var q = Compare(AllLogits(f32.Backend, tokens), AllLogits(quantised.Backend, tokens), tokens, f32.Config.VocabSize);
        output.WriteLine($"{dtype}: {tokens.Length} tokens, mean KL {q.MeanKl:F5} nats, greedy agreement {q.Agreement:P1}, " +
            $"mean log-likelihood f32 {q.MeanLlReference:F4} → {q.MeanLl:F4} (Δ {q.MeanLl - q.MeanLlReference:+0.0000;-0.0000})");

        Assert.True(q.MeanKl > 0, $"{dtype} gave f32's distributions exactly: the weights were not quantised");
        Assert.True(q.MeanKl <= maxKl, $"{dtype}: mean KL {q.MeanKl} > {maxKl}");
        Assert.True(q.Agreement >= minAgreement, $"{dtype}: greedy agreement {q.Agreement} < {minAgreement}");
        Assert.True(Math.Abs(q.MeanLl - q.MeanLlReference) <= maxDeltaLl, $"{dtype}: mean log-likelihood {q.MeanLl} vs f32 {q.MeanLlReference}");
    }

    private sealed record Quality(double MeanKl, double Agreement, double MeanLlReference, double MeanLl);

    // Position i predicts token i + 1: the last position has no target and is left out.
    private static Quality Compare(float[] reference, float[] quantised, int[] tokens, int vocab)
    {
        double kl = 0, agree = 0, llRef = 0, ll = 0;
        int positions = tokens.Length - 1;
        for (int i = 0; i < positions; i++)
        {
            var p = GoldenAssert.LogSoftmax(reference.AsSpan(i * vocab, vocab));
            var r = GoldenAssert.LogSoftmax(quantised.AsSpan(i * vocab, vocab));
            for (int v = 0; v < vocab; v++) kl += Math.Exp(p[v]) * (p[v] - r[v]);
            if (ArgMax(p) == ArgMax(r)) agree++;
            llRef += p[tokens[i + 1]];
            ll += r[tokens[i + 1]];
        }
        return new Quality(kl / positions, agree / positions, llRef / positions, ll / positions);
    }

    private static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static float[] AllLogits(IModelBackend backend, int[] tokens)
    {
        var cache = backend.CreateCache(tokens.Length);
        var logits = new float[tokens.Length * backend.Config.VocabSize];
        backend.Forward(cache, tokens, null, logits, allPositions: true);
        return logits;
    }
}
