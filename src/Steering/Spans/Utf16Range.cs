namespace SteerServer.Steering.Spans;

/// <summary>A half-open range of UTF-16 code units <c>[Utf16Start, Utf16End)</c> in a .NET string.</summary>
public readonly record struct Utf16Range(int Utf16Start, int Utf16End)
{
    public int Length => Utf16End - Utf16Start;
}
