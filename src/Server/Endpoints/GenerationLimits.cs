using SteerServer.Models.Errors;
using SteerServer.Server.Hosting;

namespace SteerServer.Server.Endpoints;

/// <summary>The context rule: prompt + max tokens must fit the context; the prompt is never truncated and max tokens never clamped.</summary>
public static class GenerationLimits
{
    /// <param name="requested">max tokens from the request; null = the rest of the context</param>
    public static int MaxNewTokens(ServedModel model, int promptTokens, int? requested, string promptParam)
    {
        int context = model.MaxContext;
        if (promptTokens >= context)
            throw SteerException.ContextLength(
                $"This model's maximum context length is {context} tokens. However, your prompt has {promptTokens} tokens, leaving no room for the completion. Please shorten the prompt.",
                promptParam);
        if (requested is not { } max) return context - promptTokens;
        if (promptTokens + max > context)
            throw SteerException.ContextLength(
                $"This model's maximum context length is {context} tokens. However, you requested {promptTokens + max} tokens ({promptTokens} in the prompt, {max} for the completion). Please reduce the prompt or the maximum number of tokens.",
                promptParam);
        return max;
    }
}
