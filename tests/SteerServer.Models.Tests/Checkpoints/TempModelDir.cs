using SteerServer.TestData;

namespace SteerServer.Models.Tests.Checkpoints;

/// <summary>A temporary copy of a test model's config.json and model.safetensors that a test may damage; deleted on dispose.</summary>
internal sealed class TempModelDir : IDisposable
{
    public TempModelDir(string? copyFrom = "tiny-qwen2")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "steerserver-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        if (copyFrom != null)
            foreach (var name in new[] { "config.json", "generation_config.json", "model.safetensors" })
                System.IO.File.Copy(System.IO.Path.Combine(TestDataPaths.Models(copyFrom), name), File(name));
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
