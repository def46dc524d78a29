using SteerServer.Models.Errors;

namespace SteerServer.Models.Generation;

/// <summary>
/// How one sequence picks its tokens (OpenAI / vLLM semantics). <see cref="Temperature"/> 0 is greedy.
/// Order of application: logit bias, the min_tokens mask, repetition penalty (over prompt and generated tokens),
/// presence/frequency penalties (over the tokens generated so far), then temperature, top-k, top-p, min-p, and a
/// draw from the sequence's own seeded RNG.
/// </summary>
public sealed record SamplingParams
{
    /// <summary>0 = greedy (argmax, ties to the lower id).</summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>Keep the k most likely tokens; 0 (or ≥ vocab) = off.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most likely tokens whose probability reaches top_p; 1 = off.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Drop tokens whose probability is below min_p × the top probability; 0 = off.</summary>
    public float MinP { get; init; }
    /// <summary>Same seed (and same logits) → same tokens. Null: seeded from the OS.</summary>
    public long? Seed { get; init; }
    /// <summary>Subtracted once from the logit of every token already generated.</summary>
    public float PresencePenalty { get; init; }
    /// <summary>Subtracted from a token's logit once per time it was generated.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Token id → value added to its logit (OpenAI <c>logit_bias</c>, −100…100).</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }
    /// <summary>How many most likely alternatives to report with each token (0 = none).</summary>
    public int TopLogprobs { get; init; }
    /// <summary>vLLM's repetition_penalty: a seen token's logit is divided by it when positive, multiplied when not; 1 = off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>vLLM's min_tokens: before this many tokens are generated, <see cref="EndTokenIds"/> cannot be sampled.</summary>
    public int MinTokens { get; init; }
    /// <summary>The ids that end the sequence (EOS unless ignore_eos, and stop_token_ids), masked by <see cref="MinTokens"/>.</summary>
    public IReadOnlyList<int>? EndTokenIds { get; init; }

    public static SamplingParams Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Throws <see cref="SteerException"/> (InvalidRequest, naming the parameter) for values out of range.</summary>
    public void Validate(int vocabSize)
    {
        if (!float.IsFinite(Temperature) || Temperature < 0) throw SteerException.InvalidRequest($"temperature must be ≥ 0, got {Temperature}", "temperature");
        if (TopK < 0) throw SteerException.InvalidRequest($"top_k must be ≥ 0, got {TopK}", "top_k");
        if (!(TopP > 0 && TopP <= 1)) throw SteerException.InvalidRequest($"top_p must be in (0, 1], got {TopP}", "top_p");
        if (!(MinP >= 0 && MinP <= 1)) throw SteerException.InvalidRequest($"min_p must be in [0, 1], got {MinP}", "min_p");
        if (!float.IsFinite(PresencePenalty)) throw SteerException.InvalidRequest("presence_penalty must be finite", "presence_penalty");
        if (!float.IsFinite(FrequencyPenalty)) throw SteerException.InvalidRequest("frequency_penalty must be finite", "frequency_penalty");
        if (!(RepetitionPenalty > 0) || !float.IsFinite(RepetitionPenalty)) throw SteerException.InvalidRequest($"repetition_penalty must be > 0, got {RepetitionPenalty}", "repetition_penalty");
        if (MinTokens < 0) throw SteerException.InvalidRequest($"min_tokens must be ≥ 0, got {MinTokens}", "min_tokens");
        if (TopLogprobs < 0) throw SteerException.InvalidRequest($"top_logprobs must be ≥ 0, got {TopLogprobs}", "top_logprobs");
        if (LogitBias != null)
            foreach (var (id, bias) in LogitBias)
            {
                if ((uint)id >= (uint)vocabSize) throw SteerException.InvalidRequest($"logit_bias token id {id} is outside the vocabulary [0, {vocabSize})", $"logit_bias.{id}");
                if (!float.IsFinite(bias)) throw SteerException.InvalidRequest($"logit_bias for {id} must be finite", $"logit_bias.{id}");
            }
    }
}
