using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SteerServer.Models.Generation;

/// <summary>
/// Picks tokens for one sequence (see <see cref="SamplingParams"/> for the order of operations). Owns its
/// RNG (xoshiro256**, seeded with SplitMix64), so a seed reproduces the same tokens on every machine.
/// Scratch is allocated once per sampler; <see cref="Sample"/> allocates only the returned top-logprobs array.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingParams p;
    private ulong s0, s1, s2, s3;  // xoshiro256** state
    private int[] counts = [];     // [vocabSize] occurrences in generatedSoFar (reset after each call)
    private int[] indices = [];    // [vocabSize] candidate ids
    private float[] probs = [];    // [vocabSize]
    private readonly int[] prompt; // for the repetition penalty
    private readonly Comparison<int> byProbabilityDescending;
    private bool[] seen = [];      // [vocabSize] ids in the prompt or generated so far (repetition penalty)
    private int[] seenIds = [];    // the distinct ids marked in `seen`, first seenCount of them
    private int seenCount, generatedMarked = -1; // -1: the prompt is not marked yet

    /// <param name="prompt">the sequence's prompt ids, which the repetition penalty counts as seen (as vLLM)</param>
    public Sampler(SamplingParams parameters, int[]? prompt = null)
    {
        p = parameters;
        this.prompt = prompt ?? [];
        byProbabilityDescending = CompareByProbabilityDescending;
        ulong seed = parameters.Seed is long s ? unchecked((ulong)s) : (ulong)Random.Shared.NextInt64() ^ (ulong)Environment.TickCount64;
        s0 = SplitMix64(ref seed); s1 = SplitMix64(ref seed); s2 = SplitMix64(ref seed); s3 = SplitMix64(ref seed);
    }

    public SamplingParams Parameters => p;

    /// <summary>
    /// Chooses the next token from <paramref name="logits"/> [vocabSize], which is modified in place
    /// (bias, penalties). <paramref name="generatedSoFar"/>: this sequence's generated ids, for the penalties.
    /// </summary>
    public SampledToken Sample(Span<float> logits, IReadOnlyList<int> generatedSoFar)
    {
        int vocab = logits.Length;
        if (vocab == 0) throw new ArgumentException("empty logits", nameof(logits));
        EnsureScratch(vocab);

        // 1. logit bias, then presence/frequency penalties over the generated tokens
        if (p.LogitBias != null)
            foreach (var (id, bias) in p.LogitBias)
                if ((uint)id < (uint)vocab) logits[id] += bias;
        if (generatedSoFar.Count < p.MinTokens && p.EndTokenIds != null)
            for (int i = 0; i < p.EndTokenIds.Count; i++)
                if ((uint)p.EndTokenIds[i] < (uint)vocab) logits[p.EndTokenIds[i]] = float.NegativeInfinity;
        if (p.RepetitionPenalty != 1) ApplyRepetitionPenalty(logits, generatedSoFar);
        if ((p.PresencePenalty != 0 || p.FrequencyPenalty != 0) && generatedSoFar.Count > 0)
        {
            for (int i = 0; i < generatedSoFar.Count; i++)
                if ((uint)generatedSoFar[i] < (uint)vocab) counts[generatedSoFar[i]]++;
            for (int i = 0; i < generatedSoFar.Count; i++)
            {
                int id = generatedSoFar[i];
                if ((uint)id >= (uint)vocab || counts[id] == 0) continue;
                logits[id] -= p.PresencePenalty + p.FrequencyPenalty * counts[id];
                counts[id] = 0; // applied once per distinct id; also leaves counts zeroed for the next call
            }
        }

        // 2. log-probabilities of the processed logits (reported values)
        float max = TensorPrimitives.Max(logits);
        var pr = probs.AsSpan(0, vocab);
        TensorPrimitives.Subtract(logits, max, pr);
        TensorPrimitives.Exp(pr, pr);
        float logSumExp = max + MathF.Log(TensorPrimitives.Sum(pr));

        // 3. choose
        int chosen = p.Temperature == 0 || p.TopK == 1 ? ArgMax(logits) : Draw(logits);
        return new SampledToken(chosen, logits[chosen] - logSumExp, TopLogprobs(logits, logSumExp, p.TopLogprobs));
    }

    /// <summary>
    /// vLLM's rule over every distinct id of the prompt and the output: positive logits are divided by the penalty,
    /// others multiplied. The seen set grows with the output, so each call only marks the new tokens.
    /// </summary>
    private void ApplyRepetitionPenalty(Span<float> logits, IReadOnlyList<int> generatedSoFar)
    {
        if (generatedMarked < 0)
        {
            foreach (var id in prompt) Mark(id, logits.Length);
            generatedMarked = 0;
        }
        for (; generatedMarked < generatedSoFar.Count; generatedMarked++) Mark(generatedSoFar[generatedMarked], logits.Length);
        float penalty = p.RepetitionPenalty;
        for (int i = 0; i < seenCount; i++)
        {
            ref float l = ref logits[seenIds[i]];
            l = l > 0 ? l / penalty : l * penalty;
        }
    }

    private void Mark(int id, int vocab)
    {
        if ((uint)id >= (uint)vocab || seen[id]) return;
        seen[id] = true;
        seenIds[seenCount++] = id;
    }

    /// <summary>Index of the largest logit; ties go to the lower id.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        // The first index of the largest value, in two vector passes (a 151936-wide vocabulary: ~15 µs, not ~100 µs).
        // A NaN (broken weights) keeps the scalar rule: it is never chosen.
        float max = TensorPrimitives.Max(logits);
        if (!float.IsNaN(max)) return FirstIndexOf(logits, max);
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    // The first i with logits[i] == value (== as IEEE: −0 equals +0, as the scalar rule's ties do).
    private static int FirstIndexOf(ReadOnlySpan<float> logits, float value)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float start = ref MemoryMarshal.GetReference(logits);
            var v = Vector256.Create(value);
            for (; i + 8 <= logits.Length; i += 8)
            {
                uint hits = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)i), v).ExtractMostSignificantBits();
                if (hits != 0) return i + BitOperations.TrailingZeroCount(hits);
            }
        }
        for (; i < logits.Length; i++)
            if (logits[i] == value) return i;
        return 0; // not reached: value is an element
    }

    private int Draw(ReadOnlySpan<float> logits)
    {
        int vocab = logits.Length;
        float invT = 1f / p.Temperature;
        float max = TensorPrimitives.Max(logits);
        var pr = probs.AsSpan(0, vocab);
        // softmax(logits / T), max-subtracted
        TensorPrimitives.Subtract(logits, max, pr);
        TensorPrimitives.Multiply(pr, invT, pr);
        TensorPrimitives.Exp(pr, pr);

        // Candidates: top-k, then top-p over the (renormalised) top-k set, then min-p, as vLLM orders them.
        // Sorting is by probability descending, ties to the lower id, so no result depends on the sort algorithm.
        float fullTotal = TensorPrimitives.Sum(pr);
        float threshold = 0;
        if (p.TopP < 1 && (p.TopK == 0 || p.TopK >= vocab))
            // A token below (1 − top_p)/(vocab − 1) of the total can never be inside the nucleus (llama2.c's
            // cut-off): dropping those first keeps the sort small on a large vocabulary.
            threshold = (1 - p.TopP) / (vocab - 1) * fullTotal;
        int n = 0;
        for (int i = 0; i < vocab; i++)
            if (pr[i] >= threshold) indices[n++] = i;
        if ((p.TopK > 0 && p.TopK < vocab) || p.TopP < 1)
        {
            indices.AsSpan(0, n).Sort(byProbabilityDescending);
            float kTotal = fullTotal;
            if (p.TopK > 0 && p.TopK < n)
            {
                n = p.TopK;
                kTotal = 0;
                for (int i = 0; i < n; i++) kTotal += pr[indices[i]];
            }
            if (p.TopP < 1)
            {
                float cumulative = 0, limit = p.TopP * kTotal;
                for (int i = 0; i < n; i++)
                {
                    cumulative += pr[indices[i]];
                    if (cumulative >= limit) { n = i + 1; break; }
                }
            }
        }
        if (p.MinP > 0)
        {
            // keep prob ≥ min_p · max prob; the max is exp(0) = 1 after the max subtraction above
            int m = 0;
            for (int i = 0; i < n; i++)
                if (pr[indices[i]] >= p.MinP) indices[m++] = indices[i];
            n = m;
        }

        float sum = 0;
        for (int i = 0; i < n; i++) sum += pr[indices[i]];
        float r = NextFloat() * sum, acc = 0;
        for (int i = 0; i < n; i++)
        {
            acc += pr[indices[i]];
            if (r < acc) return indices[i];
        }
        return indices[n - 1]; // rounding: r landed at the very end
    }

    // Created once: sorting with a struct comparer would box it and allocate a delegate on every call.
    private int CompareByProbabilityDescending(int a, int b) => probs[a] != probs[b] ? probs[b].CompareTo(probs[a]) : a.CompareTo(b);

    private TokenLogprob[] TopLogprobs(ReadOnlySpan<float> logits, float logSumExp, int k)
    {
        k = Math.Min(k, logits.Length);
        if (k <= 0) return [];
        var top = new TokenLogprob[k];
        int filled = 0;
        // Insertion into a small sorted array: O(vocab · k) with k ≤ 20, no full sort.
        for (int id = 0; id < logits.Length; id++)
        {
            float v = logits[id];
            if (filled == k && v <= top[k - 1].Logprob) continue;
            int pos = filled < k ? filled++ : k - 1;
            while (pos > 0 && top[pos - 1].Logprob < v) { top[pos] = top[pos - 1]; pos--; }
            top[pos] = new TokenLogprob(id, v);
        }
        for (int i = 0; i < k; i++) top[i] = top[i] with { Logprob = top[i].Logprob - logSumExp };
        return top;
    }

    private void EnsureScratch(int vocab)
    {
        if (counts.Length >= vocab) return;
        counts = new int[vocab];
        indices = new int[vocab];
        probs = new float[vocab];
        if (p.RepetitionPenalty == 1) return;
        seen = new bool[vocab];
        seenIds = new int[vocab];
    }

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    private float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    private ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
