namespace SteerServer.Models.Templates.Values;

/// <summary>A Python dict: insertion-ordered, keys compared with Python equality (1 == 1.0 == True).</summary>
internal sealed class PyDict : OrderedDictionary<object, object?>
{
    public PyDict() : base(PyKeyComparer.Instance) { }

    public PyDict(int capacity) : base(capacity, PyKeyComparer.Instance) { }
}

/// <summary>Python key equality and hashing for <see cref="PyDict"/>.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => PyOps.PyEquals(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        string s => StringComparer.Ordinal.GetHashCode(s),
        Markup m => StringComparer.Ordinal.GetHashCode(m.Value),
        bool b => b ? 1 : 0,
        long l => ((double)l).GetHashCode(),
        double d => d.GetHashCode(),
        PyTuple t => t.Items.Length,
        _ => obj.GetHashCode(),
    };
}
