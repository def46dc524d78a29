using SteerServer.Models.Inference;
using SteerServer.TestData;

namespace SteerServer.Models.Tests.Inference;

/// <summary>
/// <see cref="AttentionCapture"/> is what Influence and Attention Rollout are computed from: its rows must be
/// causal probability rows, and the golden/influence metrics must follow from it (golden/README.md recurrences).
/// </summary>
public class AttentionCaptureTests
{
    public static TheoryData<string> Models => new() { "stories260K", "tiny-qwen2", "tiny-mistral" };

    [Theory]
    [MemberData(nameof(Models))]
    public void AvgAttention_RowsSumToOne_AndAreCausal(string model)
    {
        var backend = ModelCache.Get(model).Backend;
        int[] prompt = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315];
        int length = prompt.Length, layers = backend.Config.NumHiddenLayers;
        var capture = new AttentionCapture(layers, length);
        backend.Forward(backend.CreateCache(length), prompt, null, new float[backend.Config.VocabSize], capture: capture);
        int? window = backend.Config.SlidingWindow;
        for (int l = 0; l < layers; l++)
            for (int i = 0; i < length; i++)
            {
                double sum = 0;
                for (int j = 0; j < length; j++)
                {
                    float a = capture.AvgAttention[l][i * length + j];
                    bool visible = j <= i && (window is null || i - j < window);
                    if (!visible) Assert.Equal(0f, a);
                    else Assert.True(a >= 0);
                    sum += a;
                }
                Assert.True(Math.Abs(sum - 1) < 1e-5, $"layer {l} row {i} sums to {sum}");
                Assert.True(capture.InputNormL1[l][i] > 0);
                Assert.True(capture.OutputNormL1[l][i] > 0);
            }
    }

    [Theory]
    [InlineData("stories260K")]
    [InlineData("tiny-qwen2")]
    public void Capture_ReproducesGoldenInfluenceAndRollout(string model)
    {
        var golden = GoldenAssert.Load(TestDataPaths.Golden("influence", model));
        var backend = ModelCache.Get(model).Backend;
        var prompt = GoldenAssert.Ints(golden.GetProperty("prompt_ids"));
        var range = GoldenAssert.Ints(golden.GetProperty("span").GetProperty("token_range"));
        int length = prompt.Length, layers = backend.Config.NumHiddenLayers, heads = backend.Config.NumAttentionHeads;
        foreach (var result in golden.GetProperty("results").EnumerateArray())
        {
            // δ on the span's key columns, every layer and head, in the single prompt-only forward
            float delta = (float)result.GetProperty("delta_influence").GetDouble();
            var offsets = new AttentionOffsets(layers, heads, length);
            for (int l = 0; l < layers; l++)
                for (int h = 0; h < heads; h++)
                    for (int j = range[0]; j < range[1]; j++) offsets.GetOrCreate(l, h)[j] = delta;
            var capture = new AttentionCapture(layers, length);
            backend.Forward(backend.CreateCache(length), prompt, offsets, new float[backend.Config.VocabSize], capture: capture);

            var indicator = new double[length];
            for (int t = range[0]; t < range[1]; t++) indicator[t] = 1;
            double[] influence = indicator, rollout = indicator;
            Compare(result.GetProperty("influence").GetProperty("-1"), influence, "influence[-1]");
            for (int l = 0; l < layers; l++)
            {
                var a = MatVec(capture.AvgAttention[l], influence, length);
                var nu = capture.InputNormL1[Math.Max(0, l - 1)]; // reference off-by-one: X_0 for l = 0 and 1, then X_{l-1}
                var mu = capture.OutputNormL1[l];
                var next = new double[length];
                for (int t = 0; t < length; t++) next[t] = (nu[t] * influence[t] + mu[t] * a[t]) / (nu[t] + mu[t]);
                influence = next;
                var ar = MatVec(capture.AvgAttention[l], rollout, length);
                rollout = rollout.Select((r, t) => (r + ar[t]) / 2).ToArray();
                Compare(result.GetProperty("influence").GetProperty(l.ToString()), influence, $"δ={delta} influence[{l}]");
                Compare(result.GetProperty("rollout").GetProperty(l.ToString()), rollout, $"δ={delta} rollout[{l}]");
            }
        }
    }

    private static double[] MatVec(float[] m, double[] v, int n)
    {
        var r = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) r[i] += m[i * n + j] * v[j];
        return r;
    }

    private static void Compare(System.Text.Json.JsonElement expected, double[] actual, string what)
    {
        var e = GoldenAssert.Doubles(expected);
        Assert.Equal(e.Length, actual.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - actual[i]) <= Tolerances.Influence, $"{what}[{i}] = {actual[i]:g6}, golden {e[i]:g6}");
    }
}
