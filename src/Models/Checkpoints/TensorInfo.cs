namespace SteerServer.Models.Checkpoints;

/// <summary>One tensor of a safetensors header: its stored dtype string, shape, and absolute byte range in the file.</summary>
public sealed record TensorInfo(string Name, string DType, long[] Shape, long FileOffset, long ByteLength)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
