using System.Diagnostics;
using SteerServer.Models.Inference;
using SteerServer.TestData;
using static TorchSharp.torch;

namespace SteerServer.Backends.Torch.Tests;

/// <summary>Every step runs in a dispose scope: decoding leaves no tensor behind and the process memory flat.</summary>
[Collection(Isolated.Name)]
public class LeakTests
{
    [Fact]
    public void Decode200Steps_LiveTensorsAndProcessMemoryStayFlat()
    {
        using var model = Model.Load(TestDataPaths.Models("stories260K"), TorchModels.Options());
        var backend = model.Backend;
        int vocab = backend.Config.VocabSize;
        int[] prompt = [1, 403, 407, 261, 378, 432, 383, 286];
        // Two sequences, one steered on every step (the mask path) and one plain (the grouped path); capacity fixed up
        // front, so the caches never grow.
        var offsets = new AttentionOffsets(backend.Config.NumHiddenLayers, backend.Config.NumAttentionHeads, prompt.Length);
        for (int h = 0; h < backend.Config.NumAttentionHeads; h++) offsets.GetOrCreate(1, h)[2] = -2f;
        using var steered = backend.CreateCache(256);
        using var plain = backend.CreateCache(256);
        var logits = new float[2 * vocab];
        backend.Forward(steered, prompt, offsets, logits.AsSpan(0, vocab));
        backend.Forward(plain, prompt, null, logits.AsSpan(vocab, vocab));

        long tensorsAt20 = 0, bytesAt20 = 0;
        for (int step = 0; step < 200; step++)
        {
            backend.DecodeBatch([steered, plain], [Argmax(logits.AsSpan(0, vocab)), Argmax(logits.AsSpan(vocab, vocab))], [offsets, null], logits);
            // After a full collection: tensors other tests left to the finalizer are gone by then.
            if (step == 20) (bytesAt20, tensorsAt20) = (ProcessBytes(), Tensor.TotalCount);
        }

        Assert.Equal(prompt.Length + 200, steered.Length);
        Assert.Equal(tensorsAt20, Tensor.TotalCount);
        long growth = ProcessBytes() - bytesAt20;
        Assert.True(growth < 16L << 20, $"process memory grew by {growth >> 10} KiB over 180 decode steps");
    }

    private static int Argmax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    private static long ProcessBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }
}

/// <summary>Tests that read process-wide counters (live tensors, memory) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Isolated
{
    public const string Name = "isolated";
}
