using SteerServer.Models.Checkpoints;
using SteerServer.Models.Inference;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SteerServer.Backends.Torch;

/// <summary>
/// Attention of one sequence's new rows over its cached keys: scaled dot products, the causal (or sliding-window) mask,
/// the steering offsets as an additive bias on the prompt's key columns, softmax, weighted values.
/// Paths, cheapest first:
/// <list type="bullet">
/// <item>one row (a decode step): the query heads of each KV group attend that group's keys directly, shaped
/// <c>[1, numKvHeads, kvGroups, headDim]</c>, so the cache is never repeated for GQA; no mask unless steered;</item>
/// <item>an unsteered prompt from position 0: <c>scaled_dot_product_attention</c>'s own causal path
/// (TorchSharp 0.107 spells the flag <c>is_casual</c>; it takes no mask, scale or GQA argument);</item>
/// <item>anything else (a later prefill chunk, a sliding window, steering): one float mask <c>[1, numHeads, n, keys]</c>
/// = causal/sliding (−∞) + offsets, with the KV heads expanded (repeat_kv) by hand;</item>
/// <item>with an <see cref="AttentionCapture"/> (Influence): the same mask, computed eagerly to keep the probabilities.</item>
/// </list>
/// </summary>
internal sealed class TorchAttention
{
    private readonly int numHeads, numKvHeads, kvGroups, headDim;
    private readonly int? slidingWindow;
    private readonly double scale;
    private readonly ScalarType type;
    private readonly Device device;

    public TorchAttention(ModelConfig config, int? slidingWindow, ScalarType type, Device device)
    {
        numHeads = config.NumAttentionHeads;
        numKvHeads = config.NumKeyValueHeads;
        kvGroups = config.KvGroups;
        headDim = config.HeadDim;
        this.slidingWindow = slidingWindow;
        scale = 1.0 / Math.Sqrt(headDim);
        this.type = type;
        this.device = device;
    }

    /// <summary>First key position a query at <paramref name="pos"/> sees: key j is visible from i iff j ≤ i and, with a window, i − j &lt; window.</summary>
    public int KeyStart(int pos) => slidingWindow is int window ? Math.Max(0, pos - window + 1) : 0;

    /// <summary>
    /// <paramref name="q"/>: <c>[n, numHeads, headDim]</c>, the queries at positions start … start+n−1; the cache already holds
    /// their keys and values. <paramref name="offsets"/>: this layer's <c>[numHeads, promptLength]</c> or null. Returns
    /// <c>[n, numHeads · headDim]</c>. With <paramref name="capture"/>, writes the head-averaged probabilities of each row.
    /// </summary>
    public Tensor Forward(Tensor q, TorchKvCache cache, int layer, int start, Tensor? offsets, AttentionCapture? capture)
    {
        int n = (int)q.shape[0], end = start + n, keyStart = KeyStart(start), keys = end - keyStart;
        var (k, v) = cache.Read(layer, keyStart, end); // [numKvHeads, keys, headDim]
        var bias = offsets is null ? null : Bias(offsets, keyStart, end);

        if (n == 1 && capture is null)
        {
            // Query head h reads KV head h / kvGroups, so [numHeads] regroups as [numKvHeads, kvGroups].
            var grouped = q.view(1, numKvHeads, kvGroups, headDim);
            var mask = bias?.view(1, numKvHeads, kvGroups, keys);
            return F.scaled_dot_product_attention(grouped, k.unsqueeze(0), v.unsqueeze(0), mask).view(1, numHeads * headDim);
        }

        var query = q.transpose(0, 1).unsqueeze(0);                         // [1, numHeads, n, headDim]
        var (key, value) = (RepeatKv(k), RepeatKv(v));                      // [1, numHeads, keys, headDim]
        Tensor output;
        if (bias is null && capture is null && start == 0 && keyStart == 0 && (slidingWindow is not int w || n <= w))
            output = F.scaled_dot_product_attention(query, key, value, is_casual: true);
        else
        {
            var mask = CausalMask(start, n, keyStart);                      // [1, 1, n, keys]
            if (bias is not null) mask = mask + bias.view(1, numHeads, 1, keys);
            output = capture is null
                ? F.scaled_dot_product_attention(query, key, value, mask)
                : Eager(query, key, value, mask, layer, start, keyStart, capture);
        }
        return output.squeeze(0).transpose(0, 1).reshape(n, numHeads * headDim);
    }

    // repeat_kv: [numKvHeads, keys, headDim] → [1, numHeads, keys, headDim], query head h reading KV head h / kvGroups.
    private Tensor RepeatKv(Tensor x)
    {
        if (kvGroups == 1) return x.unsqueeze(0);
        long keys = x.shape[1];
        return x.unsqueeze(1).expand(numKvHeads, kvGroups, keys, headDim).reshape(1, numHeads, keys, headDim);
    }

    // The offsets of key columns keyStart … end−1: the prompt's columns carry them, later (generated) columns 0. Null when
    // the window has moved past the prompt.
    private Tensor? Bias(Tensor offsets, int keyStart, int end)
    {
        int prompt = (int)offsets.shape[1];
        if (keyStart >= prompt) return null;
        int stop = Math.Min(prompt, end);
        var columns = offsets.narrow(1, keyStart, stop - keyStart);
        return stop == end ? columns : F.pad(columns, [0, end - stop]);
    }

    // 0 where query (start + i) may see key (keyStart + j), −∞ elsewhere: [1, 1, n, keys] in the compute dtype.
    private Tensor CausalMask(int start, int n, int keyStart)
    {
        var queryPos = arange(start, start + n, ScalarType.Int64, device).unsqueeze(1);
        var keyPos = arange(keyStart, start + n, ScalarType.Int64, device).unsqueeze(0);
        var hidden = keyPos > queryPos;
        if (slidingWindow is int window) hidden = hidden.logical_or(queryPos - keyPos >= window);
        return zeros([n, start + n - keyStart], type, device).masked_fill(hidden, double.NegativeInfinity).view(1, 1, n, start + n - keyStart);
    }

    // Eager attention (transformers' eager_attention_forward): softmax in float32, probabilities kept for the capture.
    private Tensor Eager(Tensor query, Tensor key, Tensor value, Tensor mask, int layer, int start, int keyStart, AttentionCapture capture)
    {
        var scores = query.matmul(key.transpose(-2, -1)) * scale + mask;    // [1, numHeads, n, keys]
        var probs = F.softmax(scores, -1, ScalarType.Float32);
        var output = probs.to(type).matmul(value);
        // Rows of the capture: the probabilities averaged over query heads, masked cells 0.
        var average = probs.mean([1], keepdim: false).squeeze(0);           // [n, keys]
        int n = (int)average.shape[0], keys = (int)average.shape[1], length = capture.Length;
        var rows = new float[n * keys];
        DeviceTensors.Download(average, rows);
        var target = capture.AvgAttention[layer];
        for (int i = 0; i < n; i++)
        {
            var row = target.AsSpan((start + i) * length, length);
            row.Clear();
            rows.AsSpan(i * keys, keys).CopyTo(row[keyStart..]);
        }
        return output;
    }
}
