using System.Text.Json.Nodes;
using System.Text.Json;

namespace SteerServer.Steering;

/// <summary>Turns a <see cref="Utf8JsonWriter"/> routine into a <see cref="JsonObject"/>, so each report has one writer.</summary>
internal static class SteeringJsonText
{
    public static JsonObject ToNode(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }
}
