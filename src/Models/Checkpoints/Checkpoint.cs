using SteerServer.Models.Errors;
using SteerServer.Models.Kernels;

namespace SteerServer.Models.Checkpoints;

/// <summary>
/// All tensors of a model directory: <c>model.safetensors</c>, or the shards listed in
/// <c>model.safetensors.index.json</c>. Hands out weights by checkpoint name with their shape and
/// dtype checked; large matrices stay memory-mapped, small vectors (norms, biases) are copied to f32.
/// </summary>
public sealed unsafe class Checkpoint : IDisposable
{
    private readonly List<SafeTensorsFile> files = [];
    private readonly Dictionary<string, SafeTensorsFile> byTensor = new(StringComparer.Ordinal);

    private Checkpoint(string directory) => Directory = directory;

    public string Directory { get; }

    public IEnumerable<string> TensorNames => byTensor.Keys;

    public static Checkpoint Open(string modelDir)
    {
        var checkpoint = new Checkpoint(modelDir);
        try
        {
            var indexPath = Path.Combine(modelDir, ShardIndex.FileName);
            var single = Path.Combine(modelDir, "model.safetensors");
            if (File.Exists(indexPath))
            {
                var index = ShardIndex.Load(indexPath);
                var opened = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
                foreach (var shard in index.Shards)
                {
                    var file = SafeTensorsFile.Open(Path.Combine(modelDir, shard));
                    checkpoint.files.Add(file);
                    opened[shard] = file;
                }
                foreach (var (name, shard) in index.WeightMap)
                {
                    var file = opened[shard];
                    if (!file.Contains(name))
                        throw SteerException.InvalidModel(file.Path, $"tensor '{name}' is listed in {ShardIndex.FileName} but missing from this shard");
                    checkpoint.byTensor[name] = file;
                }
            }
            else if (File.Exists(single))
            {
                var file = SafeTensorsFile.Open(single);
                checkpoint.files.Add(file);
                foreach (var name in file.Tensors.Keys) checkpoint.byTensor[name] = file;
            }
            else
            {
                throw SteerException.InvalidModel(single, $"file not found (and no {ShardIndex.FileName} either)");
            }
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => byTensor.ContainsKey(name);

    public TensorInfo Info(string name) => Find(name).Tensors[name];

    /// <summary>A 2-D weight <c>[rows, cols]</c>, memory-mapped in its stored dtype.</summary>
    public WeightMatrix GetMatrix(string name, int rows, int cols)
    {
        var file = Find(name);
        var info = file.Tensors[name];
        CheckShape(file, info, [rows, cols]);
        var dtype = WeightDType(file, info);
        return new WeightMatrix(dtype, rows, cols, file.GetPointer(info), file);
    }

    /// <summary>
    /// The stored bytes of a tensor of exactly <paramref name="shape"/> (<see cref="TensorInfo.ByteLength"/> of them, in
    /// <paramref name="dtype"/>): memory-mapped, valid until <see cref="Dispose"/>. For backends that copy weights to a device.
    /// </summary>
    public byte* GetData(string name, long[] shape, out DType dtype)
    {
        var file = Find(name);
        var info = file.Tensors[name];
        CheckShape(file, info, shape);
        dtype = WeightDType(file, info);
        return file.GetPointer(info);
    }

    /// <summary>A 1-D tensor of <paramref name="length"/> values, copied and converted to f32.</summary>
    public float[] GetVector(string name, int length)
    {
        var file = Find(name);
        var info = file.Tensors[name];
        CheckShape(file, info, [length]);
        var dtype = WeightDType(file, info);
        var result = new float[length];
        new WeightMatrix(dtype, 1, length, file.GetPointer(info), file).GetRow(0, result);
        return result;
    }

    public void Dispose()
    {
        foreach (var f in files) f.Dispose();
        files.Clear();
        byTensor.Clear();
    }

    private SafeTensorsFile Find(string name)
    {
        if (byTensor.TryGetValue(name, out var file)) return file;
        var where = files.Count == 1 ? files[0].Path : Path.Combine(Directory, ShardIndex.FileName);
        throw SteerException.InvalidModel(where, $"missing tensor '{name}'");
    }

    private static void CheckShape(SafeTensorsFile file, TensorInfo info, long[] expected)
    {
        if (!info.Shape.AsSpan().SequenceEqual(expected))
            throw SteerException.InvalidModel(file.Path, $"tensor '{info.Name}' has shape {info.ShapeText}, expected [{string.Join(", ", expected)}]");
    }

    private static DType WeightDType(SafeTensorsFile file, TensorInfo info) =>
        SafeTensorsDType.ToWeightDType(info.DType)
        ?? throw SteerException.InvalidModel(file.Path, $"tensor '{info.Name}' has unsupported dtype {info.DType} (supported: F32, BF16, F16)");
}
