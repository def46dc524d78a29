using System.ComponentModel;
namespace SteerServer.Server.Contracts;

/// <summary>One steered span: its text, <c>substring</c> or <c>guide</c>, half-open token range and the offset added.</summary>
public sealed record SteeredSpan(
    [property: Description("The span's text.")] string Text,
    [property: Description("`substring` (PASTA) or `guide` (a GUIDE tag).")] string Source,
    [property: Description("First prompt token of the span.")] int TokenStart,
    [property: Description("One past the last prompt token (half-open).")] int TokenEnd,
    [property: Description("The attention-logit offset: ln(alpha) for PASTA (placed as scale_position says), delta/2, delta or 2·delta for a GUIDE tag.")] double Offset);
