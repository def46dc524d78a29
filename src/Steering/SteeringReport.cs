using System.Text.Json;

namespace SteerServer.Steering;

/// <summary>
/// The <c>steering_applied</c> response field (API.md):
/// <c>{"spans":[{"text","source","token_start","token_end","offset"}],"layers":n,"heads":n}</c>, where
/// <c>layers</c> counts the distinct steered layers and <c>heads</c> the steered (layer, query head) pairs.
/// </summary>
public sealed record SteeringReport(IReadOnlyList<SteeringReportSpan> Spans, int Layers, int Heads)
{
    public static SteeringReport Empty { get; } = new([], 0, 0);

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartArray("spans");
        foreach (var s in Spans)
        {
            w.WriteStartObject();
            w.WriteString("text", s.Text);
            w.WriteString("source", s.Source);
            w.WriteNumber("token_start", s.TokenStart);
            w.WriteNumber("token_end", s.TokenEnd);
            w.WriteNumber("offset", s.Offset);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("layers", Layers);
        w.WriteNumber("heads", Heads);
        w.WriteEndObject();
    }
}
