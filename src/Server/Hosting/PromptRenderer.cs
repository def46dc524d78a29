using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Models.Tokenization;
using SteerServer.Server.Validation;

namespace SteerServer.Server.Hosting;

/// <summary>
/// Messages → prompt text (the model's chat template) and text → token ids with code-point offsets. The one place
/// the server touches the template and tokenizer APIs.
/// </summary>
public sealed class PromptRenderer
{
    private readonly Tokenizer tokenizer;

    private PromptRenderer(Tokenizer tokenizer) => this.tokenizer = tokenizer;

    public static PromptRenderer Load(string modelDir, Tokenizer tokenizer) => new(tokenizer);

    /// <param name="contents">per message, the content to render (GUIDE tags already removed)</param>
    public string Render(IReadOnlyList<PromptMessage> messages, IReadOnlyList<string?> contents,
        IReadOnlyDictionary<string, JsonElement>? kwargs, bool addGenerationPrompt = true) =>
        throw SteerException.Unsupported("messages", "Chat templates are not in this build yet; use /v1/completions.");

    /// <summary>The same rendering with each content wrapped in markers (exact content ranges); null when the template cannot take them.</summary>
    public string? TryRenderMarked(IReadOnlyList<PromptMessage> messages, IReadOnlyList<string?> contents, IReadOnlyDictionary<string, JsonElement>? kwargs) => null;

    /// <summary>A rendered chat prompt: the template already wrote BOS and other special tokens as text.</summary>
    public PromptEncoding Encode(string renderedChat) => EncodeText(renderedChat, addSpecialTokens: false);

    /// <summary>Raw text (completions, /tokenize): special tokens as the tokenizer's post-processor adds them.</summary>
    public PromptEncoding EncodeText(string text, bool addSpecialTokens = true)
    {
        var e = tokenizer.Encode(text, addSpecialTokens);
        return new PromptEncoding([.. e.Ids], e.Offsets);
    }
}
