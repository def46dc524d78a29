using SteerServer.Models.Inference;
using SteerServer.Steering.Guide;
using SteerServer.Steering.Spans;

namespace SteerServer.Steering.Tests;

/// <summary>The remaining rows of steering-methods.md §3 that a server meets (E2, E8, E19, E20).</summary>
public class ReferenceQuirkTests
{
    [Fact] // E2: several occurrences → the first, in message order
    public void SeveralOccurrences_FirstInMessageOrder()
    {
        var golden = SteeringGolden.Load("steering", "stories260K");
        // " a" occurs at "upon a time" and "was a little": the first wins.
        Assert.Equal(new TokenRange(3, 4), SteeringPlanner.LocateSubstring(golden.Prompt, " a", "p"));
        // Across messages: message 0 before message 1, even when message 1 comes first in the text.
        string text = "B: cat. A: cat.";
        (int, int)[] chars = [.. Enumerable.Range(0, text.Length).Select(i => (i, i + 1))];
        var prompt = new TokenizedPrompt(text, chars, [new ContentRun(1, -1, 0, 3, 4), new ContentRun(0, -1, 0, 11, 4)]);
        Assert.Equal(new TokenRange(11, 14), SteeringPlanner.LocateSubstring(prompt, "cat", "p"));
    }

    public static TheoryData<int> VectorLines() => [.. Enumerable.Range(0, TokenizerVectors.All().Count())];

    [Theory] // E7, E8: whitespace runs, tabs, CRLF, leading spaces, the SentencePiece dummy prefix, all with the real tokenizer
    [MemberData(nameof(VectorLines))]
    public void EveryWordOfEveryVector_CoversExactlyItsTokens(int line)
    {
        var (text, _) = TokenizerVectors.All().ElementAt(line);
        var encoding = TestModels.TokenizerOf("stories260K").Encode(text);
        var prompt = TokenizedPrompt.ForText(text, encoding.Offsets);
        foreach (var word in text.Split([' ', '\t', '\n', '\r', '\u00a0', '\u200a'], StringSplitOptions.RemoveEmptyEntries).Distinct())
        {
            int at = text.IndexOf(word, StringComparison.Ordinal);
            int cs = Models.Tokenization.TextUnits.Utf16ToCodePoint(text, at), ce = Models.Tokenization.TextUnits.Utf16ToCodePoint(text, at + word.Length);
            var range = SteeringPlanner.LocateSubstring(prompt, word, "p");
            for (int t = 0; t < encoding.Count; t++)
            {
                var (s, e) = encoding.Offsets[t];
                Assert.True((e > s && s < ce && e > cs) == range.Contains(t), $"line {line} word \"{word}\" token {t} [{s},{e}) range {range}");
            }
        }
    }

    [Fact] // E19 and E16: a huge offset with a sliding window stays finite (offsets only on visible cells)
    public void SlidingWindow_HugeExclude_FiniteLogits()
    {
        var model = TestModels.Get("tiny-mistral");
        var (prompt, ids) = TestModels.Tokenize("tiny-mistral", "Once upon a time, there was a little girl named Lily. She loved to play");
        var request = new SteeringRequest { Substrings = ["upon"], HeadConfig = HeadConfig.AllHeadsOf([0, 1, 2]), Alpha = 1e-300 };
        var plan = SteeringPlanner.Plan(request, prompt, [], SteeringLimits.From(model.Config));
        int vocab = model.Config.VocabSize;
        var logits = new float[ids.Length * vocab];
        var cache = model.Backend.CreateCache(ids.Length + 4);
        model.Backend.Forward(cache, ids, plan.Offsets, logits, allPositions: true);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        var step = new float[vocab];
        model.Backend.DecodeBatch([cache], [5], [plan.Offsets], step);
        Assert.All(step, v => Assert.True(float.IsFinite(v)));
    }

    [Fact] // E20: no state between requests: the same request twice gives the same offsets and logits
    public void RepeatedRequests_NoAccumulation()
    {
        var model = TestModels.Get("tiny-qwen2");
        var golden = SteeringGolden.Load("steering", "tiny-qwen2");
        var first = GoldenOffsetsTests.PlanCase(golden, golden.Case("guide_delta2")).Plan;
        var second = GoldenOffsetsTests.PlanCase(golden, golden.Case("guide_delta2")).Plan;
        for (int l = 0; l < model.Config.NumHiddenLayers; l++)
            for (int h = 0; h < model.Config.NumAttentionHeads; h++)
                Assert.Equal(first.Offsets!.Get(l, h), second.Offsets!.Get(l, h));
        float[] Run(AttentionOffsets? o)
        {
            var logits = new float[model.Config.VocabSize];
            model.Backend.Forward(model.Backend.CreateCache(golden.PromptIds.Length), golden.PromptIds, o, logits);
            return logits;
        }
        Assert.Equal(Run(first.Offsets), Run(second.Offsets));
        Assert.Equal(Run(null), Run(null));
        Assert.NotEqual(Run(null), Run(first.Offsets));
    }
}
