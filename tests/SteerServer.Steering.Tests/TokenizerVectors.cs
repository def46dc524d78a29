using System.Text.Json;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests;

/// <summary>models/stories260K/tokenizer_vectors.jsonl: real tokenizer offsets (code points) for hard strings.</summary>
internal static class TokenizerVectors
{
    public static IEnumerable<(string Text, (int Start, int End)[] Offsets)> All()
    {
        foreach (var line in File.ReadLines(Path.Combine(TestDataPaths.Models("stories260K"), "tokenizer_vectors.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            yield return (root.GetProperty("text").GetString()!,
                          [.. root.GetProperty("offsets").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32()))]);
        }
    }

    public static (string Text, (int Start, int End)[] Offsets) Find(string text) => All().First(v => v.Text == text);
}
