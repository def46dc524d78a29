namespace SteerServer.Models.Tests.Inference;

/// <summary>Tolerances of shared/testdata/README.md §4 ("Recommended tolerances") for a float32 engine.</summary>
internal static class Tolerances
{
    /// <summary>logits_last, every logprob in prompt_top5 and greedy.top5 (f32, and bf16 weights upcast to f32).</summary>
    public const double Logits = 1e-3;

    /// <summary>rope_inv_freq and offsets: relative, the JSON holds 6 significant digits.</summary>
    public const double Relative = 1e-5;

    /// <summary>Influence and rollout vectors.</summary>
    public const double Influence = 1e-4;
}
