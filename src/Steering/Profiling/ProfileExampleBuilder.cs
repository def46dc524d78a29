using SteerServer.Models.Errors;
using SteerServer.Steering.Preparation;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// Task lines → token ids and substring ranges through the server's <see cref="PromptPipeline"/>, so a profiled
/// prompt is tokenized exactly as a request would be:
/// <list type="bullet">
/// <item><c>prompt</c>: raw text, as a <c>/v1/completions</c> prompt; <c>messages</c>: the chat template with the
/// generation prompt, as a chat request. GUIDE tags are not interpreted (steering is the profiled heads').</item>
/// <item>The target is the pipeline's continuation: tokenized with the prompt and split at the prompt's end, so its
/// first token is the one the model would actually produce there.</item>
/// <item>Substrings are found like a request's <c>steering.substrings</c>
/// (<see cref="SteeringPlanner.LocateSubstring"/>: first occurrence inside the message contents).</item>
/// </list>
/// </summary>
public static class ProfileExampleBuilder
{
    public static List<ProfileExample> Build(IReadOnlyList<ProfileTaskLine> lines, PromptPipeline pipeline)
    {
        var examples = new List<ProfileExample>(lines.Count);
        foreach (var line in lines) examples.Add(Build(line, pipeline));
        return examples;
    }

    public static ProfileExample Build(ProfileTaskLine line, PromptPipeline pipeline)
    {
        // Teacher forcing runs prompt + target but the last target token: that must fit the model's positions.
        int maxTokens = pipeline.ContextLength + 1;
        PreparedPrompt prepared;
        try
        {
            prepared = line.Prompt is { } prompt
                ? pipeline.Text(prompt, SteeringRequest.Disabled, "prompt", maxTokens, line.Target)
                : pipeline.Chat(ChatInput.FromJson(line.Messages!), SteeringRequest.Disabled, maxTokens, line.Target);
        }
        catch (SteerException e) { throw Invalid(line, e.Message); }
        if (prepared.ContinuationIds.Length == 0) throw Invalid(line, "the target gives no token after the prompt");

        var ranges = new TokenRange[line.Substrings.Count];
        for (int i = 0; i < ranges.Length; i++)
        {
            try { ranges[i] = SteeringPlanner.LocateSubstring(prepared.Tokens!, line.Substrings[i], $"substrings[{i}]"); }
            catch (SteerException e) { throw Invalid(line, e.Message); }
        }
        return new ProfileExample(line.Task, line.Source, prepared.Ids, prepared.ContinuationIds, ranges);
    }

    private static SteerException Invalid(ProfileTaskLine line, string problem) =>
        SteerException.InvalidRequest($"{line.Source}: {problem}", "tasks");
}
