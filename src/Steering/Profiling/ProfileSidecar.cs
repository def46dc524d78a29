using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerServer.Models.Errors;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// The resumable score log: a JSONL file whose first line is the <see cref="ProfileFingerprint"/> and whose other
/// lines are one finished head each, <c>{"layer":l,"head":h,"tasks":{"name":{"logprob_delta":x,"accuracy_delta":y}}}</c>,
/// appended and flushed as soon as the head is measured. Reopening it with the same fingerprint makes those heads
/// <see cref="Completed"/>; a torn last line (the process died mid-write) is cut off.
/// </summary>
public sealed class ProfileSidecar : IDisposable
{
    private readonly FileStream stream;
    private readonly Dictionary<(int Layer, int Head), IReadOnlyDictionary<string, TaskDelta>> completed = [];

    private ProfileSidecar(string path, FileStream stream)
    {
        Path = path;
        this.stream = stream;
    }

    public string Path { get; }

    /// <summary>Heads already measured (from earlier runs and this one), with their per-task deltas.</summary>
    public IReadOnlyDictionary<(int Layer, int Head), IReadOnlyDictionary<string, TaskDelta>> Completed => completed;

    /// <summary>Opens or creates <paramref name="path"/>; an existing file must carry the same fingerprint.</summary>
    public static ProfileSidecar Open(string path, ProfileFingerprint fingerprint)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        var sidecar = new ProfileSidecar(path, stream);
        try
        {
            sidecar.Load(fingerprint);
            return sidecar;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Records a finished head (written and flushed before returning).</summary>
    public void Append(int layer, int head, IReadOnlyDictionary<string, TaskDelta> tasks)
    {
        var line = new JsonObject { ["layer"] = layer, ["head"] = head };
        var obj = new JsonObject();
        foreach (var (task, d) in tasks)
        {
            if (!double.IsFinite(d.LogProbDelta) || !double.IsFinite(d.AccuracyDelta))
                throw SteerException.InvalidModel(Path, $"layer {layer} head {head}, task '{task}': the score is not finite ({d.LogProbDelta}); the model produced non-finite logits");
            obj[task] = new JsonObject { ["logprob_delta"] = d.LogProbDelta, ["accuracy_delta"] = d.AccuracyDelta };
        }
        line["tasks"] = obj;
        WriteLine(line);
        completed[(layer, head)] = new Dictionary<string, TaskDelta>(tasks);
    }

    public void Dispose() => stream.Dispose();

    private void Load(ProfileFingerprint fingerprint)
    {
        var expected = HeaderJson(fingerprint);
        if (stream.Length == 0)
        {
            WriteLine(expected);
            return;
        }
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        // Only whole lines count; a torn tail (no newline) is dropped and overwritten by the next append.
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        var lines = Encoding.UTF8.GetString(bytes, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            stream.SetLength(0);
            WriteLine(expected);
            return;
        }
        JsonNode? header = Parse(lines[0], 1);
        if (!JsonNode.DeepEquals(header, expected))
            throw SteerException.InvalidRequest(
                $"{Path}: this score file was written for other settings (model, task file, alpha, scale position or dtype): " +
                $"it has {lines[0].Trim()}, this run needs {expected.ToJsonString()}. Delete it, or pass --fresh, to start over.", "sidecar");
        for (int i = 1; i < lines.Length; i++)
        {
            var node = Parse(lines[i], i + 1);
            try
            {
                int layer = node!["layer"]!.GetValue<int>(), head = node["head"]!.GetValue<int>();
                var tasks = new Dictionary<string, TaskDelta>();
                foreach (var (task, value) in node["tasks"]!.AsObject())
                    tasks[task] = new TaskDelta(value!["logprob_delta"]!.GetValue<double>(), value["accuracy_delta"]!.GetValue<double>());
                completed[(layer, head)] = tasks;
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw SteerException.InvalidRequest($"{Path} line {i + 1}: not a head score line ({e.Message}); delete the file or pass --fresh", "sidecar");
            }
        }
        stream.SetLength(end);
        stream.Seek(end, SeekOrigin.Begin);
    }

    private JsonNode? Parse(string line, int number)
    {
        try { return JsonNode.Parse(line); }
        catch (JsonException e) { throw SteerException.InvalidRequest($"{Path} line {number}: not valid JSON ({e.Message}); delete the file or pass --fresh", "sidecar"); }
    }

    private void WriteLine(JsonNode node)
    {
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString() + "\n");
        stream.Write(bytes);
        stream.Flush();
    }

    private static JsonObject HeaderJson(ProfileFingerprint f) => new()
    {
        ["kind"] = "steerserver-profile-scores",
        ["version"] = ProfileFingerprint.FormatVersion,
        ["config_sha256"] = f.ConfigSha256,
        ["weights_bytes"] = f.WeightsBytes,
        ["num_layers"] = f.NumLayers,
        ["num_heads"] = f.NumHeads,
        ["tasks_sha256"] = f.TasksSha256,
        ["alpha"] = f.Alpha,
        ["scale_position"] = f.ScalePosition,
        ["dtype"] = f.DType,
    };
}
