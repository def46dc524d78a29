namespace SteerServer.Models.Tokenization.Bpe;

/// <summary>A token produced by <see cref="BpeModel"/>: its id and the UTF-8 byte range of the word it covers.</summary>
internal readonly record struct BpeToken(int Id, int ByteStart, int ByteEnd);
