namespace SteerServer.Steering.Tests;

/// <summary>Tolerances of shared/testdata/golden/README.md, "Recommended tolerances".</summary>
internal static class Tolerances
{
    /// <summary><c>offsets.values</c>: 1e-5 relative (6 significant digits in the JSON).</summary>
    public const double OffsetRelative = 1e-5;

    /// <summary>Logits and logprobs of a float32 engine, steered or not: 1e-3 absolute.</summary>
    public const double Logit = 1e-3;

    /// <summary>Influence and rollout vectors: 1e-4 absolute.</summary>
    public const double Influence = 1e-4;

    public static bool OffsetClose(double actual, double expected) =>
        Math.Abs(actual - expected) <= OffsetRelative * Math.Max(1.0, Math.Abs(expected));
}
