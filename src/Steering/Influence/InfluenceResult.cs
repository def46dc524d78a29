using System.Text.Json;

namespace SteerServer.Steering.Influence;

/// <summary>
/// The <c>influence</c> response field: <c>{"metric","tokens":[...],"layers":[[...], ...]}</c>, where
/// <c>layers[0]</c> is layer −1 (the span indicator) and <c>layers[l + 1]</c> is layer l.
/// </summary>
public sealed record InfluenceResult(InfluenceMetric Metric, IReadOnlyList<int> Tokens, IReadOnlyList<float[]> Layers)
{
    public string MetricName => Metric == InfluenceMetric.Influence ? "influence" : "attention_rollout";

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("metric", MetricName);
        w.WriteStartArray("tokens");
        foreach (int t in Tokens) w.WriteNumberValue(t);
        w.WriteEndArray();
        w.WriteStartArray("layers");
        foreach (var layer in Layers)
        {
            w.WriteStartArray();
            foreach (float v in layer) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
