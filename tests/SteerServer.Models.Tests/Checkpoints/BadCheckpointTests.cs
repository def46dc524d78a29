using System.Text.Json.Nodes;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Errors;
using SteerServer.Models.Inference;

namespace SteerServer.Models.Tests.Checkpoints;

/// <summary>Every kind of broken model directory is a <see cref="SteerException"/> (InvalidModel) naming the file and the problem.</summary>
public class BadCheckpointTests
{
    private static SteerException LoadFails(string dir)
    {
        var e = Assert.Throws<SteerException>(() => Model.Load(dir).Dispose());
        Assert.Equal(ErrorKind.InvalidModel, e.Kind);
        return e;
    }

    [Fact]
    public void MissingConfig_NamesConfigJson()
    {
        using var dir = new TempModelDir();
        File.Delete(dir.File("config.json"));
        var e = LoadFails(dir.Path);
        Assert.Contains(dir.File("config.json"), e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void MissingSafetensors_NamesModelSafetensors()
    {
        using var dir = new TempModelDir();
        File.Delete(dir.File("model.safetensors"));
        var e = LoadFails(dir.Path);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void TruncatedData_NamesFileAndTensor()
    {
        using var dir = new TempModelDir();
        var path = dir.File("model.safetensors");
        using (var f = File.OpenWrite(path)) f.SetLength(f.Length - 100);
        var e = LoadFails(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("past the end", e.Message);
    }

    [Fact]
    public void FileShorterThanHeaderLength_IsTruncated()
    {
        using var dir = new TempModelDir();
        var path = dir.File("model.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = LoadFails(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void HeaderLengthBeyondFile_IsCorrupt()
    {
        using var dir = new TempModelDir();
        var path = dir.File("model.safetensors");
        using (var f = File.OpenWrite(path)) f.Write(BitConverter.GetBytes(ulong.MaxValue / 2));
        var e = LoadFails(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("header length", e.Message);
    }

    [Fact]
    public void GarbageHeaderJson_IsCorrupt()
    {
        using var dir = new TempModelDir();
        var path = dir.File("model.safetensors");
        using (var f = File.OpenWrite(path)) { f.Position = 8; f.Write("{\"x\":[[[["u8); }
        var e = LoadFails(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("invalid JSON", e.Message);
    }

    [Fact]
    public void SizeNotMatchingShape_IsCorrupt()
    {
        using var dir = new TempModelDir(copyFrom: null);
        var path = dir.File("model.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorsWriter.Tensor("a", "F32", [2, 3], new byte[20])]);
        var e = Assert.Throws<SteerException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains("'a'", e.Message);
        Assert.Contains("needs 24", e.Message);
    }

    [Fact]
    public void WrongTensorShape_NamesTensorAndShapes()
    {
        using var dir = new TempModelDir();
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        config["intermediate_size"] = 96; // the checkpoint has 128
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        var e = LoadFails(dir.Path);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("mlp.gate_proj.weight", e.Message);
        Assert.Contains("[128, 64]", e.Message);
        Assert.Contains("[96, 64]", e.Message);
    }

    [Fact]
    public void MissingTensor_NamesTensor()
    {
        using var dir = new TempModelDir();
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        config["num_hidden_layers"] = 4; // the checkpoint has 3
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        var e = LoadFails(dir.Path);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("missing tensor 'model.layers.3.", e.Message);
    }

    [Fact]
    public void UnsupportedArchitecture_NamesIt()
    {
        using var dir = new TempModelDir();
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        config["architectures"] = new JsonArray("GPT2LMHeadModel");
        config["model_type"] = "gpt2";
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        var e = LoadFails(dir.Path);
        Assert.Contains(dir.File("config.json"), e.Message);
        Assert.Contains("unsupported architecture", e.Message);
        Assert.Contains("gpt2", e.Message);
    }

    [Fact]
    public void UnsupportedDType_NamesTensorAndDType()
    {
        using var dir = new TempModelDir();
        // Rewrite the checkpoint with the final norm stored as F64 (8 bytes per element; valid file, unsupported dtype).
        var path = dir.File("model.safetensors");
        var tensors = new List<SafeTensorsWriter.Tensor>();
        using (var f = SafeTensorsFile.Open(path))
            unsafe
            {
                foreach (var t in f.Tensors.Values.OrderBy(t => t.FileOffset))
                {
                    var data = new ReadOnlySpan<byte>(f.GetPointer(t), (int)t.ByteLength).ToArray();
                    if (t.Name == "model.norm.weight")
                    {
                        var wide = new byte[data.Length * 2];
                        for (int i = 0; i < data.Length / 4; i++)
                            BitConverter.TryWriteBytes(wide.AsSpan(i * 8), (double)BitConverter.ToSingle(data, i * 4));
                        tensors.Add(new SafeTensorsWriter.Tensor(t.Name, "F64", t.Shape, wide));
                    }
                    else tensors.Add(new SafeTensorsWriter.Tensor(t.Name, t.DType, t.Shape, data));
                }
            }
        SafeTensorsWriter.Write(path, tensors);
        var e = LoadFails(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("'model.norm.weight'", e.Message);
        Assert.Contains("unsupported dtype F64", e.Message);
    }

    [Fact]
    public void BadConfigValue_NamesKey()
    {
        using var dir = new TempModelDir();
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        config["num_key_value_heads"] = 3; // 4 heads are not a multiple of 3
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        var e = LoadFails(dir.Path);
        Assert.Contains("num_key_value_heads", e.Message);
    }

    [Fact]
    public void Sharded_LoadsAndMatchesSingleFile()
    {
        // Split tiny-qwen2 into two shards with an index; the forward must be identical.
        using var dir = new TempModelDir();
        dir.SplitIntoTwoShards();

        using var sharded = Model.Load(dir.Path);
        var reference = Tests.Inference.ModelCache.Get("tiny-qwen2").Backend;
        int vocab = reference.Config.VocabSize;
        int[] prompt = [1, 403, 407, 261];
        var a = new float[vocab];
        var b = new float[vocab];
        reference.Forward(reference.CreateCache(8), prompt, null, a);
        sharded.Backend.Forward(sharded.Backend.CreateCache(8), prompt, null, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void ShardIndex_ListingMissingTensor_NamesShard()
    {
        using var dir = new TempModelDir();
        File.Move(dir.File("model.safetensors"), dir.File("shard.safetensors"));
        File.WriteAllText(dir.File(ShardIndex.FileName), """{"weight_map":{"model.norm.weight":"shard.safetensors","model.extra.weight":"shard.safetensors"}}""");
        var e = LoadFails(dir.Path);
        Assert.Contains("shard.safetensors", e.Message);
        Assert.Contains("model.extra.weight", e.Message);
    }
}
