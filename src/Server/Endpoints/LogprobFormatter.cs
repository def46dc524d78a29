
using SteerServer.Models.Generation;
using SteerServer.Models.Tokenization;
using SteerServer.Server.Contracts;

namespace SteerServer.Server.Endpoints;

/// <summary>
/// Token text for logprobs: the text a token adds after the token before it (decoding a lone token would lose
/// a SentencePiece leading space), and its UTF-8 bytes so clients can rebuild characters split across tokens.
/// </summary>
public sealed class LogprobFormatter(Tokenizer tokenizer)
{
    public string TokenText(int previous, int id)
    {
        var before = tokenizer.Decode([previous], false);
        var both = tokenizer.Decode([previous, id], false);
        return both.StartsWith(before, StringComparison.Ordinal) ? both[before.Length..] : tokenizer.Decode([id], false);
    }

    public static int[] Bytes(string text) => [.. System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b)];

    /// <summary>Chat shape; advances <paramref name="previous"/> over the tokens.</summary>
    public ChatLogprobs Chat(IReadOnlyList<SampledToken> tokens, ref int previous)
    {
        var content = new List<ChatTokenLogprob>(tokens.Count);
        foreach (var t in tokens)
        {
            var text = TokenText(previous, t.Id);
            var top = new List<ChatTopLogprob>(t.TopLogprobs.Length);
            foreach (var alt in t.TopLogprobs)
            {
                var altText = TokenText(previous, alt.Id);
                top.Add(new ChatTopLogprob(altText, alt.Logprob, Bytes(altText)));
            }
            content.Add(new ChatTokenLogprob(text, t.Logprob, Bytes(text), top));
            previous = t.Id;
        }
        return new ChatLogprobs(content);
    }

    /// <summary>Legacy completions shape; <paramref name="textOffset"/> (UTF-16 units into the choice text) advances too.</summary>
    public CompletionLogprobs Completion(IReadOnlyList<SampledToken> tokens, ref int previous, ref int textOffset)
    {
        var texts = new List<string>(tokens.Count);
        var logprobs = new List<double>(tokens.Count);
        var tops = new List<Dictionary<string, double>>(tokens.Count);
        var offsets = new List<int>(tokens.Count);
        foreach (var t in tokens)
        {
            var text = TokenText(previous, t.Id);
            texts.Add(text);
            logprobs.Add(t.Logprob);
            var top = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var alt in t.TopLogprobs) top.TryAdd(TokenText(previous, alt.Id), alt.Logprob);
            tops.Add(top);
            offsets.Add(textOffset);
            textOffset += text.Length;
            previous = t.Id;
        }
        return new CompletionLogprobs(texts, logprobs, tops, offsets);
    }
}
