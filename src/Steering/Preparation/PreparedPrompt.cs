using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Preparation;

/// <summary>
/// A prompt ready to run: its token ids and the steering plan for them. <see cref="SteeringPlan.Influence"/> is a plan
/// only: running the Influence pass is the caller's job (the server schedules it on its worker).
/// </summary>
/// <param name="Ids">the prompt's token ids</param>
/// <param name="Plan">offsets, the <c>steering_applied</c> report and the Influence plan</param>
/// <param name="Tokens">rendered text, token offsets and content runs, for locating further spans; null for a token-id prompt</param>
/// <param name="ContinuationIds">the ids of the continuation tokenized with the prompt (profile targets); empty when none was given</param>
public sealed record PreparedPrompt(int[] Ids, SteeringPlan Plan, TokenizedPrompt? Tokens, int[] ContinuationIds)
{
    /// <summary>The exact text that was tokenized (after GUIDE tags came out and the template ran); null for token ids.</summary>
    public string? Text => Tokens?.Text;
}
