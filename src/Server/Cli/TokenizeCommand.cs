using System.Text.Json;
using SteerServer.Models.Errors;
using SteerServer.Models.Tokenization;

namespace SteerServer.Server.Cli;

/// <summary>
/// <c>tokenize --model DIR (--text TEXT | --chat FILE.json) [--no-special]</c>: prints one JSON
/// object <c>{"ids":[..],"tokens":[..],"offsets":[[start,end],..]}</c> (offsets in code points).
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
            // The chat-template step (TEMPLATES) goes here: render FILE.json's messages with the
            // model's chat template into `prompt`, then encode it below and print it as "prompt".
            throw SteerException.Unsupported("chat", "--chat needs chat template support, which is not in this build yet");
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
