using SteerServer.Models.Errors;
using SteerServer.Server.Hosting;

namespace SteerServer.Server.Endpoints;

/// <summary>The context rule: prompt + max tokens must fit the context; the prompt is never truncated and max tokens never clamped.</summary>
public static class GenerationLimits
{
    /// <param name="requested">max tokens from the request; null = the rest of the context</param>
    /// <param name="maxTokensParam">the field <paramref name="requested"/> came from, named when it is what overflows</param>
    public static int MaxNewTokens(ServedModel model, int promptTokens, int? requested, string promptParam, string maxTokensParam = "max_tokens")
    {
        int context = model.MaxContext;
        if (promptTokens >= context)
            throw SteerException.ContextLength(
                $"This model's maximum context length is {context} tokens. However, your prompt has {promptTokens} tokens, leaving no room for the completion. Please shorten the prompt.",
                promptParam);
        if (requested is not { } max) return context - promptTokens;
        long total = (long)promptTokens + max; // in long: max_tokens 2147483647 must not wrap around and pass
        if (total > context)
            throw SteerException.ContextLength(
                $"This model's maximum context length is {context} tokens. However, you requested {total} tokens ({promptTokens} in the prompt, {max} for the completion). Please reduce the prompt or '{maxTokensParam}'.",
                maxTokensParam);
        return max;
    }
}
