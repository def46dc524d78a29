using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Errors;
using SteerServer.Models.Templates;
using SteerServer.Models.Tokenization;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>tokenize --model DIR (--text TEXT | --chat FILE.json) [--no-special]</c>: prints one JSON
/// object <c>{"ids":[..],"tokens":[..],"offsets":[[start,end],..]}</c> (offsets in code points);
/// with <c>--chat</c> also <c>"prompt"</c>, the rendered chat template, whose tokens the ids are.
/// Needs only the tokenizer files in DIR, no weights.
/// </summary>
internal static class TokenizeCommand
{
    public static int Run(string[] args)
    {
        var cli = new CliArgs(args);
        var modelDir = cli.Required("model");
        var text = cli.String("text");
        var chatFile = cli.String("chat");
        bool addSpecialTokens = !cli.Flag("no-special");
        cli.ThrowOnUnused();
        if ((text == null) == (chatFile == null))
            throw SteerException.InvalidRequest("give exactly one of --text TEXT or --chat FILE.json", text == null ? "text" : "chat");
        if (!Directory.Exists(modelDir))
            throw SteerException.InvalidRequest($"--model: directory '{modelDir}' not found", "model");

        var tokenizer = Tokenizer.Load(modelDir);
        string? prompt = null;
        if (chatFile != null)
        {
            // Render FILE.json with the model's chat template; like transformers' apply_chat_template, the
            // rendered text is encoded without adding special tokens (the template writes them), except the
            // plain format of template-less models, which keeps the tokenizer's BOS (as generate --chat).
            if (!File.Exists(chatFile))
                throw SteerException.InvalidRequest($"--chat: file '{chatFile}' not found", "chat");
            var request = JsonNode.Parse(File.ReadAllText(chatFile)) as JsonObject
                ?? throw SteerException.InvalidRequest($"--chat: '{chatFile}' must hold a JSON object", "chat");
            var chatPrompt = ChatPrompt.Load(modelDir);
            prompt = chatPrompt.Render(chatPrompt.CreateContext(request));
            addSpecialTokens &= chatPrompt.IsPlain;
        }

        var encoding = tokenizer.Encode(prompt ?? text!, addSpecialTokens);
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("ids");
            foreach (var id in encoding.Ids) json.WriteNumberValue(id);
            json.WriteEndArray();
            json.WriteStartArray("tokens");
            foreach (var t in encoding.Tokens) json.WriteStringValue(t);
            json.WriteEndArray();
            json.WriteStartArray("offsets");
            foreach (var (start, end) in encoding.Offsets)
            {
                json.WriteStartArray();
                json.WriteNumberValue(start);
                json.WriteNumberValue(end);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            if (prompt != null) json.WriteString("prompt", prompt);
            json.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
        return 0;
    }
}
