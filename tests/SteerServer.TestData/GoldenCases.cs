namespace SteerServer.TestData;

/// <summary>What the golden files cover, for the test layers that check them (backend capture and request path).</summary>
public static class GoldenCases
{
    /// <summary>golden/influence: (model, metric, delta_influence).</summary>
    public static IEnumerable<object[]> Influence()
    {
        foreach (var model in new[] { "stories260K", "tiny-qwen2" })
            foreach (var metric in new[] { "influence", "rollout" })
                foreach (var delta in new[] { 0.0, 1.0 }) yield return [model, metric, delta];
    }
}
