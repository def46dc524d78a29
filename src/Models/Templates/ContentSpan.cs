namespace SteerServer.Models.Templates;

/// <summary>
/// A run of the rendered prompt that is a verbatim copy of message content: rendered
/// <c>[Utf16Start, Utf16Start + Utf16Length)</c> equals content <c>[ContentUtf16Start, ContentUtf16Start + Utf16Length)</c>
/// of <c>messages[MessageIndex].content</c> (or of <c>.content[PartIndex].text</c> when <see cref="PartIndex"/> ≥ 0).
/// All offsets are UTF-16 code units; convert with the tokenizer's helpers.
/// </summary>
public readonly record struct ContentSpan(int MessageIndex, int PartIndex, int ContentUtf16Start, int Utf16Start, int Utf16Length)
{
    public int Utf16End => Utf16Start + Utf16Length;
}
