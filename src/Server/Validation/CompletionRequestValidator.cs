using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Server.Contracts;

namespace SteerServer.Server.Validation;

/// <summary>Validates <c>/v1/completions</c>; same rules and error shape as <see cref="ChatRequestValidator"/>.</summary>
public static class CompletionRequestValidator
{
    public static ValidCompletionRequest Validate(CompletionRequest r)
    {
        var model = ChatRequestValidator.RequireModel(r.Model);
        if (!string.IsNullOrEmpty(r.Suffix)) throw SteerException.Unsupported("suffix", "'suffix' (insertion) is not supported by this server.");
        var prompts = Prompts(r.Prompt);
        int maxTokens = Check.Positive(r.MaxTokens, "max_tokens") ?? 16; // OpenAI's default for this endpoint
        int? logprobs = r.Logprobs is null ? null : Check.Range(r.Logprobs, 0, 0, 5, "logprobs");
        bool stream = r.Stream ?? false;
        var (includeUsage, continuousUsage) = Check.Usage(stream, r.StreamOptions);
        return new ValidCompletionRequest(
            model, prompts, maxTokens, ChatRequestValidator.Sampling(r, maxTokens, "max_tokens"),
            Check.Positive(r.N, "n") ?? 1, Check.Stop(r.Stop), logprobs, stream, includeUsage, continuousUsage, r.Steering ?? default);
    }

    /// <summary>A string, an array of strings, an array of token ids, or an array of arrays of token ids.</summary>
    private static IReadOnlyList<CompletionPrompt> Prompts(JsonElement? prompt)
    {
        if (prompt is not { } p || p.ValueKind == JsonValueKind.Null)
            throw SteerException.InvalidRequest("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
        if (p.ValueKind == JsonValueKind.String) return [new CompletionPrompt(p.GetString(), null)];
        if (p.ValueKind != JsonValueKind.Array)
            throw SteerException.InvalidRequest($"Invalid type for 'prompt': expected a string, an array of strings or token ids, got {Check.Kind(p)}.", "prompt", "invalid_type");
        if (p.GetArrayLength() == 0)
            throw SteerException.InvalidRequest("Invalid 'prompt': empty array.", "prompt", "empty_array");
        var first = p[0].ValueKind;
        if (first == JsonValueKind.Number) return [new CompletionPrompt(null, TokenIds(p, "prompt"))];
        var list = new List<CompletionPrompt>();
        int i = 0;
        foreach (var item in p.EnumerateArray())
        {
            var at = $"prompt[{i++}]";
            if (item.ValueKind == JsonValueKind.String && first == JsonValueKind.String) list.Add(new CompletionPrompt(item.GetString(), null));
            else if (item.ValueKind == JsonValueKind.Array && first == JsonValueKind.Array) list.Add(new CompletionPrompt(null, TokenIds(item, at)));
            else
                throw SteerException.InvalidRequest($"Invalid type for '{at}': the prompt array must hold only strings or only arrays of token ids, got {Check.Kind(item)}.", at, "invalid_type");
        }
        return list;
    }

    private static int[] TokenIds(JsonElement array, string at)
    {
        if (array.GetArrayLength() == 0)
            throw SteerException.InvalidRequest($"Invalid '{at}': empty array of token ids.", at, "empty_array");
        var ids = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var t in array.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out var id) || id < 0)
                throw SteerException.InvalidRequest($"Invalid '{at}[{i}]': expected a token id (a non-negative integer), got {t.GetRawText()}.", $"{at}[{i}]", "invalid_type");
            ids[i++] = id;
        }
        return ids;
    }
}
