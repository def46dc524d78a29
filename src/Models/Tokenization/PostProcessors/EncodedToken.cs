namespace SteerServer.Models.Tokenization.PostProcessors;

/// <summary>One token during encoding: id, token string and its range in the input (UTF-16 units).</summary>
internal readonly record struct EncodedToken(int Id, string Token, int Utf16Start, int Utf16End);
