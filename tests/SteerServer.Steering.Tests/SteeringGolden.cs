using System.Text.Json;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Spans;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests;

/// <summary>Reads golden/steering and golden/influence files (schema: shared/testdata/golden/README.md).</summary>
internal sealed class SteeringGolden
{
    private SteeringGolden(JsonElement root) => Root = root;

    public JsonElement Root { get; }

    public static SteeringGolden Load(string kind, string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestDataPaths.Golden(kind, model)));
        return new SteeringGolden(doc.RootElement.Clone());
    }

    public string PromptText => Root.GetProperty("prompt_text").GetString()!;

    public int[] PromptIds => [.. Root.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32())];

    public (int Start, int End)[] TokenOffsets =>
        [.. Root.GetProperty("prompt_token_offsets").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32()))];

    public TokenizedPrompt Prompt => TokenizedPrompt.ForText(PromptText, TokenOffsets);

    public JsonElement Case(string name) =>
        Root.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static IEnumerable<string> CaseNames(string model) =>
        Load("steering", model).Root.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    public static TokenRange Range(JsonElement pair) => new(pair[0].GetInt32(), pair[1].GetInt32());

    /// <summary>The prompt text with GUIDE tags of <paramref name="level"/> around the span's code-point char_range.</summary>
    public string Tagged(JsonElement span, Guide.GuideLevel level)
    {
        var cr = span.GetProperty("char_range");
        string text = PromptText;
        int s = TextUnits.CodePointToUtf16(text, cr[0].GetInt32()), e = TextUnits.CodePointToUtf16(text, cr[1].GetInt32());
        return text[..s] + Guide.GuideTags.OpenTag(level) + text[s..e] + Guide.GuideTags.CloseTag(level) + text[e..];
    }
}
