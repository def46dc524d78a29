using SteerServer.Models.Errors;
using SteerServer.Models.Templates;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// Task lines → token ids and substring ranges, the way the server would see the prompt.
/// <list type="bullet">
/// <item><c>prompt</c>: the text as is (the tokenizer adds BOS as configured);
/// <c>messages</c>: rendered with the model's chat template and the generation prompt (the plain format for models
/// without one), the tokenizer adding BOS only when the rendered text does not already start with it.</item>
/// <item>Prompt and target are tokenized together and split at the prompt's end, so the target's first token is the
/// one the model would actually produce there (SentencePiece's "▁word" and byte-level "Ġword" merge the space into
/// the word); a token straddling the boundary belongs to the target.</item>
/// <item>Substrings are found like a request's <c>steering.substrings</c>
/// (<see cref="SteeringPlanner.LocateSubstring"/>: first occurrence inside the message contents).</item>
/// </list>
/// </summary>
public static class ProfileExampleBuilder
{
    public static List<ProfileExample> Build(IReadOnlyList<ProfileTaskLine> lines, Tokenizer tokenizer, ChatPrompt? chat, int maxPositions)
    {
        var examples = new List<ProfileExample>(lines.Count);
        foreach (var line in lines) examples.Add(Build(line, tokenizer, chat, maxPositions));
        return examples;
    }

    public static ProfileExample Build(ProfileTaskLine line, Tokenizer tokenizer, ChatPrompt? chat, int maxPositions)
    {
        string text;
        IReadOnlyList<ContentRun>? runs = null;
        bool addSpecial = true;
        if (line.Prompt is { } prompt)
        {
            text = prompt;
        }
        else
        {
            if (chat is null) throw Invalid(line, "'messages' needs the model's chat prompt format");
            RenderedPrompt rendered;
            try { rendered = chat.RenderWithSpans(chat.CreateContext(line.Messages, addGenerationPrompt: true)); }
            catch (SteerException e) { throw Invalid(line, $"the chat template failed: {e.Message}"); }
            text = rendered.Text;
            runs = [.. rendered.Spans.Select(s => new ContentRun(s.MessageIndex, s.PartIndex, s.ContentUtf16Start, s.Utf16Start, s.Utf16Length))];
            addSpecial = !(chat.BosToken is { Length: > 0 } bos && text.StartsWith(bos, StringComparison.Ordinal));
        }

        var encoding = tokenizer.Encode(text + line.Target, addSpecial);
        int promptCodePoints = Tokenizer.Utf16ToCodePoint(text + line.Target, text.Length);
        int split = 0;
        while (split < encoding.Count && encoding.Offsets[split].End <= promptCodePoints) split++;
        if (split == 0) throw Invalid(line, "the prompt gives no token");
        if (split == encoding.Count) throw Invalid(line, "the target gives no token after the prompt");
        if (encoding.Count - 1 > maxPositions)
            throw Invalid(line, $"prompt + target are {encoding.Count} tokens, more than the model's {maxPositions} positions");

        var offsets = encoding.Offsets.Take(split).ToArray();
        var tokenized = runs is null ? TokenizedPrompt.ForText(text, offsets) : new TokenizedPrompt(text, offsets, runs);
        var ranges = new TokenRange[line.Substrings.Count];
        for (int i = 0; i < ranges.Length; i++)
        {
            try { ranges[i] = SteeringPlanner.LocateSubstring(tokenized, line.Substrings[i], $"substrings[{i}]"); }
            catch (SteerException e) { throw Invalid(line, e.Message); }
        }
        var ids = encoding.Ids.ToArray();
        return new ProfileExample(line.Task, line.Source, ids[..split], ids[split..], ranges);
    }

    private static SteerException Invalid(ProfileTaskLine line, string problem) =>
        SteerException.InvalidRequest($"{line.Source}: {problem}", "tasks");
}
