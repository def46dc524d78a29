using System.Collections.Concurrent;
using SteerServer.Models.Tokenization;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Tokenization;

/// <summary>Loads each test tokenizer once (they are immutable, so sharing is safe).</summary>
public sealed class TokenizerFixture
{
    private readonly ConcurrentDictionary<string, Lazy<Tokenizer>> loaded = new();

    /// <summary>A tokenizer by folder: a name under <c>tokenizers/</c>, or <c>models/NAME</c>.</summary>
    public Tokenizer Get(string name) =>
        loaded.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Tokenizer.Load(Folder(n)))).Value;

    public static string Folder(string name) =>
        name.StartsWith("models/", StringComparison.Ordinal) ? TestDataPaths.Models(name["models/".Length..]) : TestDataPaths.File("tokenizers", name);
}
