using System.Collections.Concurrent;
using SteerServer.Models.Inference;
using SteerServer.Models.Tokenization;
using SteerServer.Steering.Spans;
using SteerServer.TestData;

namespace SteerServer.Steering.Tests;

/// <summary>Test models loaded once per run and shared read-only; each test owns its caches.</summary>
internal static class TestModels
{
    private static readonly ConcurrentDictionary<string, Lazy<Model>> models = new();
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> tokenizers = new();

    public static Model Get(string name) =>
        models.GetOrAdd(name, n => new Lazy<Model>(() => Model.Load(TestDataPaths.Models(n)))).Value;

    public static Tokenizer TokenizerOf(string name) =>
        tokenizers.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Tokenizer.Load(TestDataPaths.Models(n)))).Value;

    /// <summary>A raw prompt through the model's real tokenizer (BOS added): the steering view and the ids.</summary>
    public static (TokenizedPrompt Prompt, int[] Ids) Tokenize(string name, string text)
    {
        var encoding = TokenizerOf(name).Encode(text);
        return (TokenizedPrompt.ForText(text, encoding.Offsets), [.. encoding.Ids]);
    }
}
