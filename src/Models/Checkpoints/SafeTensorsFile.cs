using System.IO.MemoryMappedFiles;
using System.Text.Json;
using SteerServer.Models.Errors;

namespace SteerServer.Models.Checkpoints;

/// <summary>
/// A memory-mapped <c>.safetensors</c> file: 8-byte little-endian header length, a JSON header
/// (<c>name → {dtype, shape, data_offsets}</c>, plus optional <c>__metadata__</c>), then raw data.
/// The whole header is validated at open (offsets in range, sizes matching shape × dtype, no overlaps),
/// so a tensor pointer handed out later is always inside the mapping. Nothing is copied.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>Headers larger than this are refused (the format's own limit is 100 MB).</summary>
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly MemoryMappedFile mapping;
    private readonly MemoryMappedViewAccessor view;
    private readonly byte* basePointer;
    private readonly Dictionary<string, TensorInfo> tensors;
    private bool disposed;

    private SafeTensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* basePointer,
        Dictionary<string, TensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long length)
    {
        Path = path;
        this.mapping = mapping;
        this.view = view;
        this.basePointer = basePointer;
        this.tensors = tensors;
        Metadata = metadata;
        Length = length;
    }

    public string Path { get; }
    public long Length { get; }
    public IReadOnlyDictionary<string, TensorInfo> Tensors => tensors;
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Maps and validates <paramref name="path"/>. Every problem is a <see cref="SteerException"/> naming the file.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw SteerException.InvalidModel(path, "file not found");
        // Hugging Face cache snapshots are symlinks to blobs, and FileInfo.Length of a link is the link's own size.
        var info = new FileInfo(path);
        if (info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target;
        long length = info.Length;
        if (length < 8) throw SteerException.InvalidModel(path, $"truncated safetensors file ({length} bytes, the header length alone needs 8)");

        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        byte* ptr = null;
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
            ptr += view.PointerOffset;

            ulong headerLen = *(ulong*)ptr; // little-endian on every platform .NET runs here
            if (headerLen == 0 || headerLen > (ulong)(length - 8) || (long)headerLen > MaxHeaderBytes)
                throw SteerException.InvalidModel(path, $"corrupt safetensors header: header length {headerLen} does not fit a {length}-byte file");
            long dataStart = 8 + (long)headerLen;
            var headerBytes = new ReadOnlySpan<byte>(ptr + 8, (int)headerLen);
            var (tensors, metadata) = ParseHeader(path, headerBytes, dataStart, length - dataStart);
            return new SafeTensorsFile(path, mapping, view, ptr, tensors, metadata, length);
        }
        catch (Exception e) when (e is not SteerException)
        {
            Release(view, mapping, ptr);
            throw SteerException.InvalidModel(path, $"cannot map file: {e.Message}", e);
        }
        catch
        {
            Release(view, mapping, ptr);
            throw;
        }
    }

    public bool Contains(string name) => tensors.ContainsKey(name);

    /// <summary>Pointer to the first byte of <paramref name="tensor"/>; valid until this file is disposed.</summary>
    public byte* GetPointer(TensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return basePointer + tensor.FileOffset;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Release(view, mapping, basePointer);
    }

    private static void Release(MemoryMappedViewAccessor? view, MemoryMappedFile? mapping, byte* ptr)
    {
        if (view != null)
        {
            if (ptr != null) view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        mapping?.Dispose();
    }

    private static (Dictionary<string, TensorInfo>, Dictionary<string, string>) ParseHeader(
        string path, ReadOnlySpan<byte> header, long dataStart, long dataLength)
    {
        JsonDocument doc;
        try
        {
            // Trailing spaces pad the header to 8 bytes; JsonDocument accepts trailing whitespace.
            doc = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw SteerException.InvalidModel(path, $"corrupt safetensors header: invalid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw SteerException.InvalidModel(path, "corrupt safetensors header: expected a JSON object");
            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in prop.Value.EnumerateObject())
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                tensors[prop.Name] = ParseTensor(path, prop.Name, prop.Value, dataStart, dataLength);
            }
            CheckNoOverlap(path, tensors.Values);
            return (tensors, metadata);
        }
    }

    private static TensorInfo ParseTensor(string path, string name, JsonElement e, long dataStart, long dataLength)
    {
        SteerException Bad(string problem) => SteerException.InvalidModel(path, $"corrupt safetensors header: tensor '{name}' {problem}");
        if (e.ValueKind != JsonValueKind.Object) throw Bad("is not an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Bad("has no dtype");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Bad("has no shape");
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad("has no [begin, end] data_offsets");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0) throw Bad($"has an invalid shape {sh.GetRawText()}");
            shape[i++] = v;
        }
        if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad($"has invalid data_offsets {off.GetRawText()}");
        if (end > dataLength)
            throw Bad($"data_offsets {off.GetRawText()} run past the end of the data ({dataLength} bytes; file truncated?)");
        string dtype = dt.GetString()!;
        var info = new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
        int elementSize = SafeTensorsDType.ElementSize(dtype);
        if (elementSize > 0)
        {
            long expected;
            try { expected = checked(info.ElementCount * elementSize); }
            catch (OverflowException) { throw Bad($"has an impossibly large shape {info.ShapeText}"); }
            if (expected != info.ByteLength)
                throw Bad($"holds {info.ByteLength} bytes but shape {info.ShapeText} of {dtype} needs {expected}");
        }
        return info;
    }

    private static void CheckNoOverlap(string path, IEnumerable<TensorInfo> tensors)
    {
        var sorted = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.FileOffset).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].FileOffset < sorted[i - 1].FileOffset + sorted[i - 1].ByteLength)
                throw SteerException.InvalidModel(path, $"corrupt safetensors header: tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap");
    }
}
