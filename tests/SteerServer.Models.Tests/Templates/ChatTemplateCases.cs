using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using SteerServer.Models.Templates;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Templates;

/// <summary>
/// Reads the chat-template goldens of <c>shared/testdata/chat-templates</c> (README "cases.jsonl schema") and
/// builds the render context exactly as the README's oracle did: <c>tools</c> None when absent, bos/eos undefined
/// when null, <c>extra_context</c> as extra variables, the clock fixed at 2025-03-15 09:30:00.
/// </summary>
internal static class ChatTemplateCases
{
    public const string Cases = "cases.jsonl";
    public const string HfjsE2e = "hfjs-e2e-cases.jsonl";
    public const string Features = "jinja-features.jsonl";

    /// <summary>The README's fixed clock for <c>strftime_now</c>.</summary>
    public static readonly TimeProvider FixedClock = new FixedTimeProvider(new DateTimeOffset(2025, 3, 15, 9, 30, 0, TimeSpan.Zero));

    private static readonly ConcurrentDictionary<string, Dictionary<string, JsonObject>> Files = new();

    public static string PathOf(string file) => TestDataPaths.File("chat-templates", file);

    /// <summary>Case ids (or feature names) of a file, for MemberData; <paramref name="errors"/> filters on expected_error.</summary>
    public static IEnumerable<object[]> Ids(string file, bool? errors = null)
    {
        foreach (var line in File.ReadLines(PathOf(file)))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var row = JsonNode.Parse(line)!.AsObject();
            var isError = row.ContainsKey("expected_error");
            if (errors == null || errors == isError)
                yield return [(string)(row["id"] ?? row["name"])!];
        }
    }

    public static JsonObject Get(string file, string id)
    {
        var rows = Files.GetOrAdd(file, f =>
        {
            var d = new Dictionary<string, JsonObject>();
            foreach (var line in File.ReadLines(PathOf(f)))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                var row = JsonNode.Parse(line)!.AsObject();
                d[(string)(row["id"] ?? row["name"])!] = row;
            }
            return d;
        });
        return rows[id];
    }

    /// <summary>The context of a cases.jsonl / hfjs-e2e-cases.jsonl row.</summary>
    public static ChatTemplateContext Context(JsonObject row)
    {
        var kwargs = new Dictionary<string, object?>();
        if (row["extra_context"] is JsonObject extra)
            foreach (var kv in extra) kwargs[kv.Key] = kv.Value;
        return new ChatTemplateContext
        {
            Messages = row["messages"],
            Tools = row["tools"],
            Documents = row["documents"],
            AddGenerationPrompt = row["add_generation_prompt"]?.GetValue<bool>() ?? false,
            BosToken = row["bos_token"]?.GetValue<string>(),
            EosToken = row["eos_token"]?.GetValue<string>(),
            ChatTemplateKwargs = kwargs,
            Clock = FixedClock,
        };
    }

    /// <summary>The context of a jinja-features.jsonl row: its <c>context</c> object as variables.</summary>
    public static ChatTemplateContext FeatureContext(JsonObject row)
    {
        var kwargs = new Dictionary<string, object?>();
        if (row["context"] is JsonObject ctx)
            foreach (var kv in ctx) kwargs[kv.Key] = kv.Value;
        return new ChatTemplateContext { ChatTemplateKwargs = kwargs, Clock = FixedClock };
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
