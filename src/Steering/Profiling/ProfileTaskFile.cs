using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Errors;

namespace SteerServer.Steering.Profiling;

/// <summary>Reads a JSONL task file (blank lines and lines starting with <c>//</c> are skipped).</summary>
public static class ProfileTaskFile
{
    private static readonly string[] KnownFields = ["task", "prompt", "messages", "substrings", "target"];

    public static List<ProfileTaskLine> Load(string path)
    {
        if (!File.Exists(path)) throw SteerException.InvalidRequest($"--tasks: file not found: {path}", "tasks");
        return Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    /// <summary>sha256 (hex) of the file's bytes, for the score file's fingerprint.</summary>
    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public static List<ProfileTaskLine> Parse(string text, string name)
    {
        var lines = new List<ProfileTaskLine>();
        var split = text.Split('\n');
        for (int i = 0; i < split.Length; i++)
        {
            string line = split[i].Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal)) continue;
            lines.Add(ParseLine(line, $"{name}:{i + 1}"));
        }
        if (lines.Count == 0) throw SteerException.InvalidRequest($"{name}: no task lines", "tasks");
        return lines;
    }

    private static ProfileTaskLine ParseLine(string line, string source)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(line); }
        catch (JsonException e) { throw Invalid(source, $"not valid JSON: {e.Message}"); }
        if (node is not JsonObject obj) throw Invalid(source, "expected a JSON object");
        foreach (var (key, _) in obj)
            if (Array.IndexOf(KnownFields, key) < 0)
                throw Invalid(source, $"unknown field '{key}'; expected {string.Join(", ", KnownFields)}");

        string task = String(obj, "task", source);
        if (task.Length == 0) throw Invalid(source, "'task' must not be empty");
        string? prompt = obj["prompt"] is null ? null : String(obj, "prompt", source);
        JsonArray? messages = null;
        if (obj["messages"] is { } m)
        {
            messages = m as JsonArray ?? throw Invalid(source, "'messages' must be an array of {\"role\", \"content\"} objects");
            if (messages.Count == 0) throw Invalid(source, "'messages' must not be empty");
            for (int i = 0; i < messages.Count; i++)
                if (messages[i] is not JsonObject msg || msg["role"] is not JsonValue || msg["content"] is not JsonValue)
                    throw Invalid(source, $"messages[{i}] must be an object with string 'role' and 'content'");
        }
        if ((prompt is null) == (messages is null)) throw Invalid(source, "give exactly one of 'prompt' or 'messages'");
        if (prompt is { Length: 0 }) throw Invalid(source, "'prompt' must not be empty");

        var substrings = new List<string>();
        switch (obj["substrings"])
        {
            case JsonValue v when v.TryGetValue(out string? s):
                substrings.Add(s);
                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                    substrings.Add(a[i] is JsonValue sv && sv.TryGetValue(out string? item) ? item : throw Invalid(source, $"substrings[{i}] must be a string"));
                break;
            default:
                throw Invalid(source, "'substrings' must be a string or a non-empty array of strings");
        }
        if (substrings.Count == 0) throw Invalid(source, "'substrings' must not be empty: a head is measured by steering toward them");
        for (int i = 0; i < substrings.Count; i++)
            if (substrings[i].Length == 0) throw Invalid(source, $"substrings[{i}] must not be empty");

        string target = String(obj, "target", source);
        if (target.Length == 0) throw Invalid(source, "'target' must not be empty");
        return new ProfileTaskLine(source, task, prompt, messages, substrings, target);
    }

    private static string String(JsonObject obj, string field, string source) =>
        obj[field] is JsonValue v && v.TryGetValue(out string? s) ? s : throw Invalid(source, $"'{field}' must be a string");

    private static SteerException Invalid(string source, string problem) =>
        SteerException.InvalidRequest($"{source}: {problem}", "tasks");
}
