using System.Numerics.Tensors;
using SteerServer.Models.Architectures;
using SteerServer.Models.Checkpoints;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Inference;

/// <summary>
/// The decoder forward of Llama / Mistral / Qwen2 / Qwen3 (HF semantics) over the rows of a
/// <see cref="RunState"/>. Rows may belong to one sequence (prefill: matrix-matrix work over the prompt)
/// or to many (decode batch: each weight is read once for all sequences). Architecture differences are
/// the <see cref="ArchitectureTraits"/> flags; nothing here names a model.
/// </summary>
internal sealed class Decoder : IDisposable
{
    private readonly ModelConfig config;
    private readonly ArchitectureTraits traits;
    private readonly DecoderWeights weights;
    private readonly float[] invFreq;   // [headDim / 2] RoPE inverse frequencies after rope_scaling
    private readonly KernelThreadPool pool;
    private readonly AttentionStage attention;

    public Decoder(ModelConfig config, ArchitectureTraits traits, DecoderWeights weights, KernelThreadPool pool)
    {
        this.config = config;
        this.traits = traits;
        this.weights = weights;
        this.pool = pool;
        invFreq = Rope.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
        attention = new AttentionStage(config, traits, pool);
    }

    public void Dispose() => attention.Dispose();

    /// <summary>RoPE inverse frequencies (after scaling), for tests.</summary>
    public ReadOnlySpan<float> InverseFrequencies => invFreq;

    /// <summary>
    /// Runs rows <c>0…n−1</c> of <paramref name="s"/> (Tokens, Positions, Caches, Offsets filled by the caller)
    /// through every layer, appending their keys/values to the caches. The final hidden states are left in
    /// <c>s.X</c>; call <see cref="Logits"/> for the rows that need logits.
    /// </summary>
    public void Run(RunState s, int n, AttentionCapture? capture)
    {
        int hidden = config.HiddenSize, headDim = config.HeadDim, half = headDim / 2;
        int numHeads = config.NumAttentionHeads, numKvHeads = config.NumKeyValueHeads;
        int inter = config.IntermediateSize;
        float eps = (float)config.RmsNormEps;
        var profile = ForwardProfile.Active;
        profile?.Begin();
        pool.Wake(); // the workers spin while the embedding and first norm run

        // Token embeddings, and RoPE cos/sin of each row's position (shared by every layer and head).
        for (int r = 0; r < n; r++)
        {
            weights.EmbedTokens.GetRow(s.Tokens[r], s.X.AsSpan(r * hidden, hidden));
            Rope.Angles(s.Positions[r], invFreq, s.Cos.AsSpan(r * half, half), s.Sin.AsSpan(r * half, half));
        }
        profile?.Mark(ForwardProfile.Stage.Embed);

        for (int layer = 0; layer < weights.Layers.Length; layer++)
        {
            var lw = weights.Layers[layer];

            // ---- attention block: x += o_proj(attn(rmsnorm(x))) ----
            RmsNorm.Rows(s.X, lw.InputLayerNorm, eps, s.Xb, n, pool);
            if (capture != null)
                for (int r = 0; r < n; r++)
                    capture.InputNormL1[layer][s.Positions[r]] = TensorPrimitives.SumOfMagnitudes(s.Xb.AsSpan(r * hidden, hidden));
            profile?.Mark(ForwardProfile.Stage.Norm);

            // q, k, v projections: matrix-matrix products over all rows, the three in one pass over the threads
            WeightMatrix.MatMul(s.Xb, n, pool, lw.QProj, s.Q, lw.KProj, s.K, lw.VProj, s.V);
            if (traits.QkvBias)
            {
                AddBiasRows(s.Q, lw.QProjBias!, n);
                AddBiasRows(s.K, lw.KProjBias!, n);
                AddBiasRows(s.V, lw.VProjBias!, n);
            }
            profile?.Mark(ForwardProfile.Stage.Qkv);

            // Qwen3: RMSNorm over head_dim on every q and k head, before RoPE
            if (traits.QkNorm)
            {
                RmsNorm.Rows(s.Q, lw.QNorm!, eps, s.Q, n * numHeads, pool);
                RmsNorm.Rows(s.K, lw.KNorm!, eps, s.K, n * numKvHeads, pool);
            }

            // RoPE (rotate_half), then append k and v to each row's cache at its position
            attention.RotateAndStore(s, layer, n);
            profile?.Mark(ForwardProfile.Stage.QkNormRope);

            // attention per (row, head): scale, causal/sliding mask, steering offsets, softmax, weighted values
            attention.Attend(s, layer, n, capture);
            profile?.Mark(ForwardProfile.Stage.Attention);

            lw.OProj.MatMul(s.AttOut, s.Xb2, n, pool);
            if (traits.OProjBias) AddBiasRows(s.Xb2, lw.OProjBias!, n);
            profile?.Mark(ForwardProfile.Stage.OProj);
            if (capture != null)
                for (int r = 0; r < n; r++)
                    capture.OutputNormL1[layer][s.Positions[r]] = TensorPrimitives.SumOfMagnitudes(s.Xb2.AsSpan(r * hidden, hidden));
            TensorPrimitives.Add(s.X.AsSpan(0, n * hidden), s.Xb2.AsSpan(0, n * hidden), s.X.AsSpan(0, n * hidden));
            profile?.Mark(ForwardProfile.Stage.Residual);

            // ---- MLP block: x += down_proj(silu(gate_proj(h)) · up_proj(h)), h = rmsnorm(x) ----
            RmsNorm.Rows(s.X, lw.PostAttentionLayerNorm, eps, s.Xb, n, pool);
            profile?.Mark(ForwardProfile.Stage.Norm);
            WeightMatrix.MatMul(s.Xb, n, pool, lw.GateProj, s.Hb, lw.UpProj, s.Hb2, null, default);
            profile?.Mark(ForwardProfile.Stage.GateUp);
            SwiGlu.Forward(s.Hb.AsSpan(0, n * inter), s.Hb2.AsSpan(0, n * inter), pool);
            profile?.Mark(ForwardProfile.Stage.SwiGlu);
            lw.DownProj.MatMul(s.Hb, s.Xb2, n, pool);
            profile?.Mark(ForwardProfile.Stage.Down);
            TensorPrimitives.Add(s.X.AsSpan(0, n * hidden), s.Xb2.AsSpan(0, n * hidden), s.X.AsSpan(0, n * hidden));
            profile?.Mark(ForwardProfile.Stage.Residual);
        }
    }

    /// <summary>Final RMSNorm and lm_head for rows <c>row…row+count−1</c>: <paramref name="logits"/> [count, vocabSize].</summary>
    public void Logits(RunState s, int row, int count, Span<float> logits)
    {
        int hidden = config.HiddenSize;
        var profile = ForwardProfile.Active;
        profile?.Mark(ForwardProfile.Stage.Residual); // whatever ran between the forward and here
        RmsNorm.Rows(s.X.AsSpan(row * hidden, count * hidden), weights.Norm, (float)config.RmsNormEps, s.Xb, count);
        profile?.Mark(ForwardProfile.Stage.Norm);
        weights.LmHead.MatMul(s.Xb, logits, count, pool);
        profile?.Mark(ForwardProfile.Stage.LmHead);
    }

    private static void AddBiasRows(float[] x, float[] bias, int n)
    {
        int width = bias.Length;
        for (int r = 0; r < n; r++)
        {
            var row = x.AsSpan(r * width, width);
            TensorPrimitives.Add(row, bias, row);
        }
    }
}
