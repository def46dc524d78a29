using System.Text;
using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Server.Contracts;

namespace SteerServer.Server.Validation;

/// <summary>
/// Turns a wire <see cref="ChatCompletionRequest"/> into a <see cref="ValidChatRequest"/>. Every problem is a
/// 400 whose <c>param</c> is the JSON path of the field; fields the server cannot honour are refused by name
/// (<c>unsupported_parameter</c>); unknown non-OpenAI fields are returned for logging and otherwise ignored.
/// Model-dependent checks (model name, vocabulary, context) happen in the endpoint.
/// </summary>
public static class ChatRequestValidator
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool"];

    public static ValidChatRequest Validate(ChatCompletionRequest r)
    {
        var model = RequireModel(r.Model);
        RefuseUnsupported(r);
        if (r.Messages is null)
            throw SteerException.InvalidRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        if (r.Messages.Count == 0)
            throw SteerException.InvalidRequest("Invalid 'messages': empty array. Expected an array with at least one message.", "messages", "empty_array");
        var messages = new List<PromptMessage>(r.Messages.Count);
        for (int i = 0; i < r.Messages.Count; i++)
            messages.Add(Message(r.Messages[i], i));

        // max_completion_tokens wins over the deprecated max_tokens (what the .NET SDK sends).
        var maxTokensParam = r.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
        var maxTokens = Check.Positive(r.MaxCompletionTokens, "max_completion_tokens") ?? Check.Positive(r.MaxTokens, "max_tokens");
        bool logprobs = r.Logprobs ?? false;
        int topLogprobs = Check.Range(r.TopLogprobs, 0, 0, 20, "top_logprobs");
        if (r.TopLogprobs is not null && !logprobs)
            throw SteerException.InvalidRequest("'top_logprobs' needs 'logprobs' to be true.", "top_logprobs");
        bool stream = r.Stream ?? false;
        var (includeUsage, continuousUsage) = Check.Usage(stream, r.StreamOptions);
        return new ValidChatRequest(
            model, messages, maxTokens, maxTokensParam, Sampling(r, maxTokens, maxTokensParam),
            Check.Positive(r.N, "n") ?? 1, Check.Stop(r.Stop), logprobs, topLogprobs, stream, includeUsage, continuousUsage,
            r.ChatTemplateKwargs, r.Steering ?? default);
    }

    internal static string RequireModel(string? model) =>
        string.IsNullOrEmpty(model)
            ? throw SteerException.InvalidRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter")
            : model;

    /// <summary>The sampling fields shared by chat and completions; vLLM fields that need what this server lacks are refused.</summary>
    internal static SamplingSettings Sampling(GenerationRequest r, int? maxTokens, string maxTokensParam)
    {
        RefuseUnsupported(r);
        int k = Check.Range(r.TopK, -1, -1, int.MaxValue, "top_k");
        int minTokens = Check.Range(r.MinTokens, 0, 0, int.MaxValue, "min_tokens");
        if (maxTokens is { } max && minTokens > max)
            throw SteerException.InvalidRequest($"Invalid 'min_tokens': {minTokens} is more than '{maxTokensParam}' ({max}).", "min_tokens");
        return new SamplingSettings(
            Check.Range(r.Temperature, 1.0, 0, 2, "temperature"),
            Check.Range(r.TopP, 1.0, 0, 1, "top_p", minExclusive: true),
            k <= 0 ? 0 : k, // -1 and 0 both mean "off", as in vLLM
            Check.Range(r.MinP, 0.0, 0, 1, "min_p"),
            r.Seed,
            Check.Range(r.PresencePenalty, 0.0, -2, 2, "presence_penalty"),
            Check.Range(r.FrequencyPenalty, 0.0, -2, 2, "frequency_penalty"),
            Check.LogitBias(r.LogitBias),
            Check.Range(r.RepetitionPenalty, 1.0, 0, 2, "repetition_penalty", minExclusive: true),
            r.IgnoreEos ?? false,
            minTokens,
            Check.TokenIds(r.StopTokenIds, "stop_token_ids"));
    }

    private static void RefuseUnsupported(GenerationRequest r)
    {
        const string noGuided = "is not supported by this server (no guided or constrained decoding).";
        if (Check.IsSet(r.GuidedJson)) throw SteerException.Unsupported("guided_json", $"'guided_json' {noGuided}");
        if (Check.IsSet(r.GuidedRegex)) throw SteerException.Unsupported("guided_regex", $"'guided_regex' {noGuided}");
        if (Check.IsSet(r.GuidedChoice)) throw SteerException.Unsupported("guided_choice", $"'guided_choice' {noGuided}");
        if (Check.IsSet(r.GuidedGrammar)) throw SteerException.Unsupported("guided_grammar", $"'guided_grammar' {noGuided}");
        if (Check.IsSet(r.Grammar)) throw SteerException.Unsupported("grammar", $"'grammar' {noGuided}");
        if (Check.IsSet(r.JsonSchema)) throw SteerException.Unsupported("json_schema", $"'json_schema' {noGuided}");
        if (r.UseBeamSearch == true) throw SteerException.Unsupported("use_beam_search", "Beam search ('use_beam_search') is not supported by this server.");
        if (Check.IsSet(r.PromptLogprobs)) throw SteerException.Unsupported("prompt_logprobs", "'prompt_logprobs' is not supported by this server.");
        if (r.Echo == true) throw SteerException.Unsupported("echo", "'echo' (the prompt in the output) is not supported by this server.");
        if (r.BestOf is { } bestOf && bestOf != (r.N ?? 1))
            throw SteerException.Unsupported("best_of", "'best_of' (other than equal to n) is not supported by this server.");
    }

    private static void RefuseUnsupported(ChatCompletionRequest r)
    {
        if (Check.IsSet(r.Tools)) throw SteerException.Unsupported("tools", "Tool calling ('tools') is not supported by this server.");
        if (Check.IsSet(r.ToolChoice) && !(r.ToolChoice!.Value.ValueKind == JsonValueKind.String && r.ToolChoice.Value.GetString() == "none"))
            throw SteerException.Unsupported("tool_choice", "'tool_choice' other than \"none\" is not supported by this server (no tool calling).");
        if (Check.IsSet(r.ResponseFormat) && !IsTextFormat(r.ResponseFormat!.Value))
            throw SteerException.Unsupported("response_format", "'response_format' other than {\"type\":\"text\"} is not supported by this server (no constrained decoding).");
        if (Check.IsSet(r.Functions)) throw SteerException.Unsupported("functions");
        if (Check.IsSet(r.FunctionCall)) throw SteerException.Unsupported("function_call");
        if (Check.IsSet(r.Audio)) throw SteerException.Unsupported("audio", "Audio output ('audio') is not supported by this server.");
        if (Check.IsSet(r.Modalities) && !IsTextOnly(r.Modalities!.Value))
            throw SteerException.Unsupported("modalities", "Only the \"text\" modality is supported by this server.");
        if (Check.IsSet(r.Prediction)) throw SteerException.Unsupported("prediction");
        if (Check.IsSet(r.WebSearchOptions)) throw SteerException.Unsupported("web_search_options");
    }

    private static bool IsTextFormat(JsonElement f) =>
        f.ValueKind == JsonValueKind.Object && f.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "text";

    private static bool IsTextOnly(JsonElement m) =>
        m.ValueKind == JsonValueKind.Array && m.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String && x.GetString() == "text");

    private static PromptMessage Message(ChatMessage? m, int i)
    {
        var at = $"messages[{i}]";
        if (m is null) throw SteerException.InvalidRequest($"Invalid '{at}': expected an object, got null.", at, "invalid_type");
        if (m.Role is null)
            throw SteerException.InvalidRequest($"Missing required parameter: '{at}.role'.", $"{at}.role", "missing_required_parameter");
        if (m.Role == "function")
            throw SteerException.Unsupported($"{at}.role", $"The deprecated 'function' role ({at}.role) is not supported; use 'tool'.");
        if (Array.IndexOf(Roles, m.Role) < 0)
            throw SteerException.InvalidRequest(
                $"Invalid value for '{at}.role': '{m.Role}'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", $"{at}.role");
        string role = m.Role == "developer" ? "system" : m.Role; // developer is the successor of system
        bool hasToolCalls = Check.IsSet(m.ToolCalls);
        if (hasToolCalls && role != "assistant")
            throw SteerException.InvalidRequest($"Invalid '{at}.tool_calls': only assistant messages carry tool calls.", $"{at}.tool_calls");
        if (hasToolCalls && m.ToolCalls!.Value.ValueKind != JsonValueKind.Array)
            throw SteerException.InvalidRequest($"Invalid type for '{at}.tool_calls': expected an array, got {Check.Kind(m.ToolCalls.Value)}.", $"{at}.tool_calls", "invalid_type");
        if (role == "tool" && string.IsNullOrEmpty(m.ToolCallId))
            throw SteerException.InvalidRequest($"Missing required parameter: '{at}.tool_call_id'.", $"{at}.tool_call_id", "missing_required_parameter");

        string? content = Content(m.Content, role, $"{at}.content");
        if (content is null && !(role == "assistant"))
            throw SteerException.InvalidRequest($"Missing required parameter: '{at}.content'.", $"{at}.content", "missing_required_parameter");
        if (content is null && role == "assistant" && !hasToolCalls)
            throw SteerException.InvalidRequest($"Invalid '{at}.content': null content needs 'tool_calls'.", $"{at}.content");
        return new PromptMessage(role, content, m.Name, hasToolCalls ? m.ToolCalls : null, m.ToolCallId);
    }

    /// <summary>A string, an array of text parts (joined with newlines, as vLLM does), or null.</summary>
    private static string? Content(JsonElement? content, string role, string at)
    {
        if (content is not { } c || c.ValueKind == JsonValueKind.Null) return null;
        if (c.ValueKind == JsonValueKind.String) return c.GetString();
        if (c.ValueKind != JsonValueKind.Array)
            throw SteerException.InvalidRequest($"Invalid type for '{at}': expected a string or an array of content parts, got {Check.Kind(c)}.", at, "invalid_type");
        var sb = new StringBuilder();
        int j = 0;
        foreach (var part in c.EnumerateArray())
        {
            var p = $"{at}[{j}]";
            if (part.ValueKind != JsonValueKind.Object)
                throw SteerException.InvalidRequest($"Invalid type for '{p}': expected a content part object, got {Check.Kind(part)}.", p, "invalid_type");
            if (!part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw SteerException.InvalidRequest($"Missing required parameter: '{p}.type'.", $"{p}.type", "missing_required_parameter");
            var t = type.GetString();
            bool textLike = t == "text" || (t == "refusal" && role == "assistant");
            if (!textLike)
                throw SteerException.Unsupported($"{p}.type", $"Content part type '{t}' ({p}.type) is not supported: this server handles text only.");
            var field = t == "text" ? "text" : "refusal";
            if (!part.TryGetProperty(field, out var text) || text.ValueKind != JsonValueKind.String)
                throw SteerException.InvalidRequest($"Missing or invalid '{p}.{field}': expected a string.", $"{p}.{field}", "invalid_type");
            if (j > 0) sb.Append('\n');
            sb.Append(text.GetString());
            j++;
        }
        if (j == 0)
            throw SteerException.InvalidRequest($"Invalid '{at}': empty array of content parts.", at, "empty_array");
        return sb.ToString();
    }
}
