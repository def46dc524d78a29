namespace SteerServer.Steering.Spans;

/// <summary>
/// A run of the rendered prompt that is a verbatim copy of message content: text
/// <c>[Utf16Start, Utf16Start + Utf16Length)</c> equals content <c>[ContentUtf16Start, ContentUtf16Start + Utf16Length)</c>
/// of <c>messages[MessageIndex].content</c> (or of its part <see cref="PartIndex"/> when ≥ 0). UTF-16 units.
/// Mirrors the chat-template engine's provenance (<c>SteerServer.Models.Templates.ContentSpan</c>).
/// </summary>
public readonly record struct ContentRun(int MessageIndex, int PartIndex, int ContentUtf16Start, int Utf16Start, int Utf16Length)
{
    public int Utf16End => Utf16Start + Utf16Length;

    public int ContentUtf16End => ContentUtf16Start + Utf16Length;
}
