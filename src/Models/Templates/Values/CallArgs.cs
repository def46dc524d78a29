namespace SteerServer.Models.Templates.Values;

/// <summary>Positional and keyword arguments of a call, filter or test, with Python-style binding helpers.</summary>
internal sealed class CallArgs
{
    public static readonly CallArgs None = new([], []);

    public CallArgs(List<object?> positional, List<KeyValuePair<string, object?>> named)
    {
        Positional = positional;
        Named = named;
    }

    public List<object?> Positional { get; }

    public List<KeyValuePair<string, object?>> Named { get; }

    public int Count => Positional.Count;

    /// <summary>The argument at <paramref name="index"/> (positional) or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index >= 0 && index < Positional.Count)
            return Positional[index];
        foreach (var kv in Named)
            if (kv.Key == name)
                return kv.Value;
        return fallback;
    }

    public bool Has(int index, string name)
    {
        if (index >= 0 && index < Positional.Count) return true;
        foreach (var kv in Named)
            if (kv.Key == name) return true;
        return false;
    }

    /// <summary>The arguments after the first <paramref name="skip"/> positional ones.</summary>
    public CallArgs Skip(int skip) =>
        new(Positional.Count > skip ? Positional.GetRange(skip, Positional.Count - skip) : [], Named);
}
