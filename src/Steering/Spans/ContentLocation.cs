namespace SteerServer.Steering.Spans;

/// <summary>
/// Where a message's content lies in the rendered text: the UTF-16 range <c>[Utf16Start, Utf16End)</c>
/// holds the content's characters starting at index <see cref="ContentOffset"/> of the content (non-zero
/// when the template trimmed leading whitespace).
/// </summary>
public readonly record struct ContentLocation(int Utf16Start, int Utf16End, int ContentOffset = 0)
{
    /// <summary>The text position of content index <paramref name="contentIndex"/>, or -1 when the template dropped it.</summary>
    public int ToText(int contentIndex)
    {
        int at = Utf16Start + contentIndex - ContentOffset;
        return at >= Utf16Start && at <= Utf16End ? at : -1;
    }
}
