namespace SteerServer.Models.Templates;

/// <summary>
/// The variables of one render, as transformers' <c>apply_chat_template</c> passes them. Values are JSON-like:
/// <c>JsonNode</c>/<c>JsonElement</c>, or <c>IDictionary&lt;string, object?&gt;</c> / lists / strings / numbers / bools / null.
/// </summary>
public sealed record ChatTemplateContext
{
    /// <summary><c>messages</c>: a list of <c>{role, content, …}</c> objects (content may be null, a string or a list of parts).</summary>
    public object? Messages { get; init; }

    /// <summary><c>tools</c>: the tool list, or null, which the template sees as <c>None</c> (defined but none).</summary>
    public object? Tools { get; init; }

    /// <summary><c>documents</c>: RAG documents, or null (<c>None</c>).</summary>
    public object? Documents { get; init; }

    /// <summary><c>add_generation_prompt</c>.</summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary><c>bos_token</c>; null leaves the variable undefined, as transformers does for an unset token.</summary>
    public string? BosToken { get; init; }

    /// <summary><c>eos_token</c>; null leaves the variable undefined.</summary>
    public string? EosToken { get; init; }

    /// <summary>Extra template variables (vLLM's <c>chat_template_kwargs</c>, e.g. <c>enable_thinking</c>, <c>date_string</c>).</summary>
    public IReadOnlyDictionary<string, object?>? ChatTemplateKwargs { get; init; }

    /// <summary>The clock <c>strftime_now</c> reads (local time, as <c>datetime.now()</c>); tests pin it.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
