namespace SteerServer.TestData;

/// <summary>Tolerances of shared/testdata/README.md §4 and golden/README.md ("Recommended tolerances") for a float32 engine.</summary>
public static class Tolerances
{
    /// <summary>logits_last, every logprob in prompt_top5 and greedy.top5 (f32, and bf16 weights upcast to f32), steered or not.</summary>
    public const double Logits = 1e-3;

    /// <summary>rope_inv_freq and offsets.values: relative, the JSON holds 6 significant digits.</summary>
    public const double Relative = 1e-5;

    /// <summary>Influence and rollout vectors.</summary>
    public const double Influence = 1e-4;

    /// <summary>An offset value within <see cref="Relative"/> of the golden (absolute near 0).</summary>
    public static bool OffsetClose(double actual, double expected) =>
        Math.Abs(actual - expected) <= Relative * Math.Max(1.0, Math.Abs(expected));
}
