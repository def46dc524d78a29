using System.Text;
using System.Text.Json;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// The outcome written by <c>profile --out</c>: settings, per-task rankings of every head (best first) with their
/// scores, the union <c>head_config</c> in the dict form, and how that set compares with no steering and with every
/// head steered.
/// </summary>
public sealed record ProfileResult(
    string Model, string TasksFile, ProfileOptions Options, int NumLayers, int NumHeads,
    IReadOnlyList<TaskRanking> Rankings, SortedDictionary<int, int[]> HeadConfig, IReadOnlyList<TaskEvaluation>? Evaluation)
{
    /// <summary>Number of (layer, head) pairs in <see cref="HeadConfig"/>.</summary>
    public int HeadCount => HeadConfig.Values.Sum(h => h.Length);

    /// <summary>The head set alone, <c>{"layer": [heads]}</c>: the file the server takes as a model's default head_config.</summary>
    public string HeadConfigJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
            WriteHeadConfig(w, HeadConfig);
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", Model);
            w.WriteString("tasks_file", TasksFile);
            w.WriteNumber("alpha", Options.Alpha);
            w.WriteString("scale_position", Options.ScalePosition.ToString().ToLowerInvariant());
            w.WriteString("metric", Options.Metric == ProfileMetric.Accuracy ? "accuracy" : "logprob");
            w.WriteNumber("top_k", Options.TopK);
            w.WriteNumber("num_layers", NumLayers);
            w.WriteNumber("num_heads", NumHeads);
            w.WritePropertyName("head_config");
            WriteHeadConfig(w, HeadConfig);
            w.WriteNumber("head_count", HeadCount);
            w.WriteStartArray("tasks");
            foreach (var r in Rankings)
            {
                w.WriteStartObject();
                w.WriteString("task", r.Task);
                w.WriteNumber("examples", r.Examples);
                w.WriteStartObject("baseline");
                w.WriteNumber("logprob", r.BaselineLogProb);
                w.WriteNumber("accuracy", r.BaselineAccuracy);
                w.WriteEndObject();
                w.WriteStartArray("ranking");
                foreach (var s in r.Heads)
                {
                    w.WriteStartObject();
                    w.WriteNumber("layer", s.Layer);
                    w.WriteNumber("head", s.Head);
                    w.WriteNumber("score", s.Score);
                    w.WriteNumber("logprob_delta", s.LogProbDelta);
                    w.WriteNumber("accuracy_delta", s.AccuracyDelta);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (Evaluation is not null)
            {
                w.WriteStartArray("evaluation");
                foreach (var e in Evaluation)
                {
                    w.WriteStartObject();
                    w.WriteString("task", e.Task);
                    WriteScore(w, "none", e.None);
                    WriteScore(w, "head_config", e.HeadConfig);
                    WriteScore(w, "all_heads", e.AllHeads);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteHeadConfig(Utf8JsonWriter w, SortedDictionary<int, int[]> heads)
    {
        w.WriteStartObject();
        foreach (var (layer, list) in heads)
        {
            w.WriteStartArray(layer.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (int h in list) w.WriteNumberValue(h);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteScore(Utf8JsonWriter w, string name, HeadSetScore s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("logprob", s.LogProb);
        w.WriteNumber("accuracy", s.Accuracy);
        w.WriteEndObject();
    }
}
