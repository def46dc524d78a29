namespace SteerServer.Steering.Spans;

/// <summary>A half-open range of prompt positions <c>[TokenStart, TokenEnd)</c>.</summary>
public readonly record struct TokenRange(int TokenStart, int TokenEnd)
{
    public int Length => TokenEnd - TokenStart;

    public bool Contains(int position) => TokenStart <= position && position < TokenEnd;

    public override string ToString() => $"[{TokenStart}, {TokenEnd})";
}
