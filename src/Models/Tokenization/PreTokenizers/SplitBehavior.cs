namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary><c>SplitDelimiterBehavior</c>: what happens to the matched delimiter.</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }
