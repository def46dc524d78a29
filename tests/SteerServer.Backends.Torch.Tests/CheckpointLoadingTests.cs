using SteerServer.Models.Checkpoints;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.Models.Tests.Checkpoints;
using SteerServer.TestData;

namespace SteerServer.Backends.Torch.Tests;

/// <summary>
/// The torch backend reads every checkpoint layout the engine reads (sharded, F16 storage; BF16 is the bf16 golden's),
/// and computes in bf16 and f16 as well as f32.
/// </summary>
public class CheckpointLoadingTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 432, 383, 286];

    private static float[] LastLogits(IModelBackend backend, AttentionOffsets? offsets = null)
    {
        var logits = new float[backend.Config.VocabSize];
        using var cache = backend.CreateCache(16);
        backend.Forward(cache, Prompt, offsets, logits);
        return logits;
    }

    private static int Argmax(float[] row) => Array.IndexOf(row, row.Max());

    [Fact]
    public void Sharded_GivesTheSameLogitsAsTheSingleFile()
    {
        using var dir = new TempModelDir("tiny-qwen2");
        dir.SplitIntoTwoShards();

        using var sharded = Model.Load(dir.Path, TorchModels.Options());
        Assert.Equal(LastLogits(TorchModels.Get("tiny-qwen2").Backend), LastLogits(sharded.Backend));
    }

    [Fact]
    public void F16Storage_ReadsAsTheCpuEngineReadsIt()
    {
        // stories260K with every tensor stored as F16 (rounded from its f32 weights).
        using var dir = new TempModelDir("stories260K");
        var path = dir.File("model.safetensors");
        var tensors = new List<SafeTensorsWriter.Tensor>();
        using (var f = SafeTensorsFile.Open(path))
            unsafe
            {
                foreach (var t in f.Tensors.Values)
                {
                    var values = new ReadOnlySpan<float>(f.GetPointer(t), (int)t.ElementCount);
                    var half = new byte[values.Length * 2];
                    for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(half.AsSpan(2 * i), (Half)values[i]);
                    tensors.Add(new SafeTensorsWriter.Tensor(t.Name, "F16", t.Shape, half));
                }
            }
        SafeTensorsWriter.Write(path, tensors);

        using var torch = Model.Load(dir.Path, TorchModels.Options());
        using var cpu = Model.Load(dir.Path, new ModelLoadOptions { Threads = 1 });
        Assert.Equal("f32", torch.Backend.Info.DType); // F16 storage, f32 compute (the CPU default)
        var expected = LastLogits(cpu.Backend);
        var actual = LastLogits(torch.Backend);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"logit {i}: torch {actual[i]:R}, cpu engine {expected[i]:R}");
    }

    [Theory]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    public void HalfPrecisionCompute_PicksTheSameNextToken_SteeredToo(DType dtype)
    {
        // stories260K's top-1 margins here are far above half precision's rounding; the steered run takes the mask path
        // (and the grouped decode path) in the compute dtype.
        var half = TorchModels.Get("stories260K", dtype).Backend;
        var full = TorchModels.Get("stories260K").Backend;
        Assert.Equal(DTypeNames.Name(dtype), half.Info.DType);
        Assert.Equal(half.KvBytesPerPosition * 2, full.KvBytesPerPosition);
        var offsets = new AttentionOffsets(full.Config.NumHiddenLayers, full.Config.NumAttentionHeads, Prompt.Length);
        for (int h = 0; h < full.Config.NumAttentionHeads; h++) offsets.GetOrCreate(0, h)[3] = -3f;
        foreach (var steering in new[] { null, offsets })
        {
            var expected = LastLogits(full, steering);
            var actual = LastLogits(half, steering);
            Assert.All(actual, v => Assert.True(float.IsFinite(v)));
            Assert.Equal(Argmax(expected), Argmax(actual));
            Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() < 0.25, "half-precision logits drift too far");
        }
    }
}
