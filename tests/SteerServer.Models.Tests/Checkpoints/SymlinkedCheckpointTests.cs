using SteerServer.Models.Inference;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Checkpoints;

/// <summary>
/// The Hugging Face cache layout: snapshots/&lt;rev&gt;/model.safetensors is a symlink to ../../blobs/&lt;hash&gt;.
/// The checkpoint must load through the link (a link's own FileInfo.Length is the length of its target path).
/// </summary>
public class SymlinkedCheckpointTests
{
    [Fact]
    public void Load_SymlinkedFiles_SameLogitsAsTheRealFiles()
    {
        using var dir = new TempModelDir(copyFrom: null);
        string source = TestDataPaths.Models("tiny-qwen2");
        foreach (var name in new[] { "config.json", "generation_config.json", "model.safetensors" })
            File.CreateSymbolicLink(dir.File(name), Path.Combine(source, name));

        using var linked = Model.Load(dir.Path);
        using var real = Model.Load(source);
        int[] prompt = [1, 403, 407, 261, 378];
        var a = new float[real.Config.VocabSize];
        var b = new float[real.Config.VocabSize];
        linked.Backend.Forward(linked.Backend.CreateCache(8), prompt, null, a);
        real.Backend.Forward(real.Backend.CreateCache(8), prompt, null, b);
        Assert.Equal(b, a);
    }
}
