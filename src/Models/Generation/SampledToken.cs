namespace SteerServer.Models.Generation;

/// <summary>
/// The chosen token, its log-probability, and the <see cref="SamplingParams.TopLogprobs"/> most likely
/// alternatives (descending, ties to the lower id). Log-probabilities are <c>log_softmax</c> of the logits
/// after logit bias and penalties, before temperature and truncation (the model's view of the choice).
/// </summary>
public readonly record struct SampledToken(int Id, float Logprob, TokenLogprob[] TopLogprobs);
