using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Templates;

/// <summary>
/// A model's prompt format: its chat template(s) and the <c>bos_token</c>/<c>eos_token</c> strings, read from the
/// model directory's <c>tokenizer_config.json</c> (<c>chat_template</c> as a string or as a list of
/// <c>{name, template}</c>; tokens as strings or AddedToken objects), else from <c>chat_template.jinja</c> or
/// <c>chat_template.json</c> beside it.
/// <para>
/// Models without any template (base models such as stories260K) use the <b>plain format</b>
/// (<see cref="PlainTemplateSource"/>): the message contents in order, separated by a blank line (<c>"\n\n"</c>),
/// without role markers and without a generation prompt. A single user message therefore renders as its text,
/// which is what a base model continues.
/// </para>
/// </summary>
public sealed class ChatPrompt
{
    /// <summary>The plain format, as a template, used when a model ships no chat template.</summary>
    public const string PlainTemplateSource =
        "{% for message in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}" +
        "{% if message.content is string %}{{ message.content }}" +
        "{% elif message.content is iterable %}{% for part in message.content %}{% if part.text is defined %}{{ part.text }}{% endif %}{% endfor %}" +
        "{% endif %}{% endfor %}";

    private readonly IReadOnlyDictionary<string, ChatTemplate> named;

    private ChatPrompt(ChatTemplate template, IReadOnlyDictionary<string, ChatTemplate> named, string? bosToken, string? eosToken, bool isPlain,
        IReadOnlyDictionary<string, object?>? otherSpecialTokens = null)
    {
        OtherSpecialTokens = otherSpecialTokens ?? new Dictionary<string, object?>();
        Template = template;
        this.named = named;
        BosToken = bosToken;
        EosToken = eosToken;
        IsPlain = isPlain;
    }

    /// <summary>The default template.</summary>
    public ChatTemplate Template { get; }

    /// <summary>Named templates when the config lists several (e.g. "default", "tool_use"); else just "default".</summary>
    public IReadOnlyDictionary<string, ChatTemplate> NamedTemplates => named;

    public string? BosToken { get; }

    public string? EosToken { get; }

    /// <summary>
    /// The other special tokens transformers passes to the template (<c>unk_token</c>, <c>pad_token</c>, <c>sep_token</c>,
    /// <c>cls_token</c>, <c>mask_token</c>, <c>additional_special_tokens</c>), when the config sets them.
    /// </summary>
    public IReadOnlyDictionary<string, object?> OtherSpecialTokens { get; }

    /// <summary>True when the model has no chat template and the plain format is used.</summary>
    public bool IsPlain { get; }

    /// <summary>A prompt format from a template text (null or empty: the plain format).</summary>
    public static ChatPrompt FromTemplate(string? template, string? bosToken = null, string? eosToken = null)
    {
        var isPlain = string.IsNullOrEmpty(template);
        var t = ChatTemplate.Parse(isPlain ? PlainTemplateSource : template!);
        return new ChatPrompt(t, new Dictionary<string, ChatTemplate> { ["default"] = t }, bosToken, eosToken, isPlain);
    }

    /// <summary>Reads the prompt format of the model in <paramref name="modelDir"/>.</summary>
    public static ChatPrompt Load(string modelDir)
    {
        var configPath = Path.Combine(modelDir, "tokenizer_config.json");
        JsonNode? config = null;
        if (File.Exists(configPath))
        {
            try
            {
                config = JsonNode.Parse(File.ReadAllText(configPath), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true });
            }
            catch (JsonException e)
            {
                throw SteerException.InvalidModel(configPath, $"invalid JSON: {e.Message}", e);
            }
        }
        var bos = TokenString(config?["bos_token"]);
        var eos = TokenString(config?["eos_token"]);
        var others = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var key in (string[])["unk_token", "pad_token", "sep_token", "cls_token", "mask_token"])
            if (TokenString(config?[key]) is { } token)
                others[key] = token;
        if (config?["additional_special_tokens"] is JsonArray extra)
            others["additional_special_tokens"] = extra.Select(t => (object?)TokenString(t)).Where(t => t != null).ToList();

        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var templateNode = config?["chat_template"];
        string origin = configPath;
        if (templateNode == null)
        {
            var jinjaPath = Path.Combine(modelDir, "chat_template.jinja");
            var jsonPath = Path.Combine(modelDir, "chat_template.json");
            if (File.Exists(jinjaPath))
            {
                sources["default"] = File.ReadAllText(jinjaPath);
                origin = jinjaPath;
            }
            else if (File.Exists(jsonPath))
            {
                templateNode = JsonNode.Parse(File.ReadAllText(jsonPath))?["chat_template"];
                origin = jsonPath;
            }
        }
        switch (templateNode)
        {
            case null:
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                sources["default"] = s;
                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    var name = item?["name"]?.GetValue<string>();
                    var text = item?["template"]?.GetValue<string>();
                    if (name == null || text == null)
                        throw SteerException.InvalidModel(origin, "chat_template list entries need 'name' and 'template'");
                    sources[name] = text;
                }
                break;
            default:
                throw SteerException.InvalidModel(origin, "chat_template must be a string or a list of {name, template}");
        }

        if (sources.Count == 0)
        {
            var plain = ChatTemplate.Parse(PlainTemplateSource);
            return new ChatPrompt(plain, new Dictionary<string, ChatTemplate> { ["default"] = plain }, bos, eos, isPlain: true, others);
        }

        var named = new Dictionary<string, ChatTemplate>(StringComparer.Ordinal);
        foreach (var (name, text) in sources)
        {
            try
            {
                named[name] = ChatTemplate.Parse(text);
            }
            catch (SteerException e)
            {
                throw SteerException.InvalidModel(origin, $"chat template '{name}': {e.Message}", e);
            }
        }
        var main = named.TryGetValue("default", out var d) ? d : named.Values.First();
        return new ChatPrompt(main, named, bos, eos, isPlain: false, others);
    }

    /// <summary>The template transformers would pick: "tool_use" when tools are given and it exists, else the default.</summary>
    public ChatTemplate SelectTemplate(bool hasTools) =>
        hasTools && named.TryGetValue("tool_use", out var t) ? t : Template;

    /// <summary>
    /// A context with this model's special tokens filled in (bos/eos and <see cref="OtherSpecialTokens"/>;
    /// <paramref name="chatTemplateKwargs"/> override them, as keyword arguments do in transformers).
    /// </summary>
    public ChatTemplateContext CreateContext(object? messages, object? tools = null, bool addGenerationPrompt = true,
        IReadOnlyDictionary<string, object?>? chatTemplateKwargs = null)
    {
        IReadOnlyDictionary<string, object?>? kwargs = chatTemplateKwargs;
        if (OtherSpecialTokens.Count > 0)
        {
            var merged = new Dictionary<string, object?>(OtherSpecialTokens, StringComparer.Ordinal);
            if (chatTemplateKwargs != null)
                foreach (var kv in chatTemplateKwargs) merged[kv.Key] = kv.Value;
            kwargs = merged;
        }
        return new()
        {
            Messages = messages,
            Tools = tools,
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = BosToken,
            EosToken = EosToken,
            ChatTemplateKwargs = kwargs,
        };
    }

    /// <summary>
    /// A context from a chat request body (<c>tokenize --chat FILE.json</c>, <c>generate --chat</c>):
    /// <c>{"messages":[..],"tools":[..],"add_generation_prompt":true,"chat_template_kwargs":{..}}</c>.
    /// <c>add_generation_prompt</c> defaults to true, as in vLLM's chat endpoint.
    /// </summary>
    public ChatTemplateContext CreateContext(JsonObject request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request["messages"] is not JsonArray messages)
            throw SteerException.InvalidRequest("'messages' must be a list of {role, content} objects", "messages");
        var addGenerationPrompt = request["add_generation_prompt"] switch
        {
            null => true,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            _ => throw SteerException.InvalidRequest("'add_generation_prompt' must be a boolean", "add_generation_prompt"),
        };
        Dictionary<string, object?>? kwargs = null;
        switch (request["chat_template_kwargs"])
        {
            case null:
                break;
            case JsonObject o:
                kwargs = o.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);
                break;
            default:
                throw SteerException.InvalidRequest("'chat_template_kwargs' must be an object", "chat_template_kwargs");
        }
        return CreateContext(messages, request["tools"], addGenerationPrompt, kwargs);
    }

    /// <summary>Renders with the template chosen for <paramref name="context"/>'s tools.</summary>
    public string Render(ChatTemplateContext context) => SelectTemplate(context.Tools != null).Render(context);

    /// <summary>Renders and reports where message content landed (see <see cref="ChatTemplate.RenderWithSpans"/>).</summary>
    public RenderedPrompt RenderWithSpans(ChatTemplateContext context) => SelectTemplate(context.Tools != null).RenderWithSpans(context);

    private static string? TokenString(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o => o["content"]?.GetValue<string>(),
        _ => null,
    };
}
