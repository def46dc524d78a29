namespace SteerServer.Steering.Guide;

/// <summary>Messages with their GUIDE tags removed, and the spans the tags marked.</summary>
/// <param name="Contents">cleaned contents, by message index (null stays null)</param>
/// <param name="Spans">every tagged span, messages in order, then by position</param>
public sealed record GuideExtraction(IReadOnlyList<string?> Contents, IReadOnlyList<GuideSpan> Spans);
