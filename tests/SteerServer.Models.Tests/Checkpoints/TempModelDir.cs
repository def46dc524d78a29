using System.Text.Json.Nodes;
using SteerServer.Models.Checkpoints;
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

    /// <summary>Replaces model.safetensors by two shards and their index (tensors alternate between them by name).</summary>
    public unsafe void SplitIntoTwoShards()
    {
        var single = File("model.safetensors");
        var shards = new[] { new List<SafeTensorsWriter.Tensor>(), new List<SafeTensorsWriter.Tensor>() };
        var map = new JsonObject();
        using (var f = SafeTensorsFile.Open(single))
        {
            int i = 0;
            foreach (var t in f.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                int shard = i++ % 2;
                shards[shard].Add(new SafeTensorsWriter.Tensor(t.Name, t.DType, t.Shape, new ReadOnlySpan<byte>(f.GetPointer(t), (int)t.ByteLength).ToArray()));
                map[t.Name] = $"model-0000{shard + 1}-of-00002.safetensors";
            }
        }
        System.IO.File.Delete(single);
        for (int s = 0; s < 2; s++) SafeTensorsWriter.Write(File($"model-0000{s + 1}-of-00002.safetensors"), shards[s]);
        System.IO.File.WriteAllText(File(ShardIndex.FileName), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
