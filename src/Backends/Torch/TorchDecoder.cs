using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SteerServer.Backends.Torch;

/// <summary>One sequence's rows in a step: rows Row … Row+Count−1 of the step, at cache positions Start … Start+Count−1.</summary>
internal readonly record struct StepItem(int Row, int Count, int Start, TorchKvCache Cache, AttentionOffsets? Offsets, AttentionCapture? Capture);

/// <summary>
/// The decoder forward of Llama / Mistral / Qwen2 / Qwen3 (transformers' semantics) in torch ops over the rows of one step:
/// every sequence's new rows stacked into <c>[rows, hiddenSize]</c> for the matrix products, attention per sequence against
/// its own cache (<see cref="TorchAttention"/>). Architecture differences are the <see cref="ArchitectureTraits"/> flags.
/// Each layer runs in a dispose scope of its own, so a step holds one layer's intermediates at a time.
/// </summary>
internal sealed class TorchDecoder : IDisposable
{
    private readonly ModelConfig config;
    private readonly ArchitectureTraits traits;
    private readonly TorchWeights weights;
    private readonly TorchAttention attention;
    private readonly ScalarType type;
    private readonly Device device;
    private readonly Tensor invFreq;  // [headDim / 2] float32 RoPE inverse frequencies after rope_scaling
    private readonly double eps;

    public TorchDecoder(ModelConfig config, ArchitectureTraits traits, TorchWeights weights, ScalarType type, Device device)
    {
        this.config = config;
        this.traits = traits;
        this.weights = weights;
        this.type = type;
        this.device = device;
        eps = config.RmsNormEps;
        attention = new TorchAttention(config, traits.UsesSlidingWindow ? config.SlidingWindow : null, type, device);
        // The same frequencies as the CPU engine (Rope handles llama3 scaling); RoPE angles stay float32, as in transformers.
        var frequencies = Rope.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
        invFreq = DeviceTensors.Upload<float>(frequencies, [frequencies.Length], ScalarType.Float32, device).DetachFromDisposeScope();
    }

    /// <summary>
    /// Runs the step's rows (<paramref name="tokens"/> at <paramref name="positions"/>, grouped by <paramref name="items"/>)
    /// through every layer, appending keys and values to the caches, and returns the float32 logits
    /// <c>[logitRows.Length, vocabSize]</c> of the rows listed in <paramref name="logitRows"/>. Call inside a dispose scope.
    /// </summary>
    public Tensor Forward(ReadOnlySpan<StepItem> items, long[] tokens, float[] positions, long[] logitRows)
    {
        int rows = tokens.Length, hidden = config.HiddenSize, headDim = config.HeadDim;
        int numHeads = config.NumAttentionHeads, numKvHeads = config.NumKeyValueHeads;
        int qDim = numHeads * headDim, kvDim = numKvHeads * headDim, inter = config.IntermediateSize;

        // Token embeddings, and the RoPE cos/sin of each row's position (shared by every layer and head).
        var ids = DeviceTensors.Upload<long>(tokens, [rows], ScalarType.Int64, device);
        var x = weights.EmbedTokens.index_select(0, ids);                                           // [rows, hiddenSize]
        var angles = DeviceTensors.Upload<float>(positions, [rows], ScalarType.Float32, device).outer(invFreq);
        var doubled = cat([angles, angles], -1);                                                    // [rows, headDim]
        var cos = doubled.cos().to(type).unsqueeze(1);                                              // [rows, 1, headDim]
        var sin = doubled.sin().to(type).unsqueeze(1);

        var outputs = new Tensor[items.Length];
        for (int layer = 0; layer < weights.Layers.Length; layer++)
        {
            var lw = weights.Layers[layer];
            using var scope = NewDisposeScope();

            // ---- attention block: x += o_proj(attn(rmsnorm(x))) ----
            var h = RmsNorm(x, lw.InputLayerNorm);
            CaptureNorms(items, h, layer, static c => c.InputNormL1);

            // q, k, v projections in one product (stacked at load)
            var qkv = F.linear(h, lw.QkvProj, lw.QkvProjBias);
            var q = qkv.narrow(1, 0, qDim).view(rows, numHeads, headDim);
            var k = qkv.narrow(1, qDim, kvDim).view(rows, numKvHeads, headDim);
            var v = qkv.narrow(1, qDim + kvDim, kvDim).view(rows, numKvHeads, headDim);

            // Qwen3: RMSNorm over head_dim on every q and k head, before RoPE
            if (traits.QkNorm)
            {
                q = RmsNorm(q, lw.QNorm!);
                k = RmsNorm(k, lw.KNorm!);
            }

            // RoPE (rotate_half), then each sequence appends its keys/values and attends its own cache
            q = Rotate(q, cos, sin);
            k = Rotate(k, cos, sin);
            for (int i = 0; i < items.Length; i++)
            {
                var it = items[i];
                it.Cache.Store(layer, it.Start, k.narrow(0, it.Row, it.Count), v.narrow(0, it.Row, it.Count));
                var offsets = it.Offsets is { } steering ? it.Cache.Offsets(steering, layer) : null;
                outputs[i] = attention.Forward(q.narrow(0, it.Row, it.Count), it.Cache, layer, it.Start, offsets, it.Capture);
            }
            var attended = outputs.Length == 1 ? outputs[0] : cat(outputs, 0);                    // [rows, numHeads * headDim]

            var o = F.linear(attended, lw.OProj, lw.OProjBias);
            CaptureNorms(items, o, layer, static c => c.OutputNormL1);
            var residual = x + o;

            // ---- MLP block: x += down_proj(silu(gate_proj(h)) · up_proj(h)), h = rmsnorm(x) ----
            var gateUp = F.linear(RmsNorm(residual, lw.PostAttentionLayerNorm), lw.GateUpProj);
            var mlp = F.linear(F.silu(gateUp.narrow(1, 0, inter)) * gateUp.narrow(1, inter, inter), lw.DownProj);
            var next = (residual + mlp).MoveToOuterDisposeScope();
            x.Dispose(); // the previous layer's output: freed now rather than at the end of the step
            x = next;
        }

        // Final RMSNorm and lm_head, only for the rows that need logits.
        var picked = logitRows.Length == rows ? x : x.index_select(0, DeviceTensors.Upload<long>(logitRows, [logitRows.Length], ScalarType.Int64, device));
        return F.linear(RmsNorm(picked, weights.Norm), weights.LmHead).to(ScalarType.Float32);
    }

    public void Dispose() => invFreq.Dispose();

    // transformers' LlamaRMSNorm: normalise in float32, scale in the compute dtype.
    private Tensor RmsNorm(Tensor x, Tensor weight)
    {
        var x32 = x.to(ScalarType.Float32);
        var normed = x32 * (x32.pow(2).mean([-1], keepdim: true) + eps).rsqrt();
        return weight * normed.to(type);
    }

    // rotate_half RoPE: x · cos + rotate_half(x) · sin over [rows, heads, headDim], cos/sin [rows, 1, headDim].
    private static Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[2] / 2;
        var rotated = cat([-x.narrow(2, half, half), x.narrow(2, 0, half)], 2);
        return x * cos + rotated * sin;
    }

    // Influence's row norms: the L1 norm of each captured row of the attention input / output, at its position.
    private static void CaptureNorms(ReadOnlySpan<StepItem> items, Tensor rows, int layer, Func<AttentionCapture, float[][]> target)
    {
        foreach (var it in items)
        {
            if (it.Capture is not { } capture) continue;
            var norms = rows.narrow(0, it.Row, it.Count).to(ScalarType.Float32).abs().sum(1);
            DeviceTensors.Download(norms, target(capture)[layer].AsSpan(it.Start, it.Count));
        }
    }
}
