namespace SteerServer.Models.Tokenization;

/// <summary>
/// One entry of <c>added_tokens</c> in <c>tokenizer.json</c>. <see cref="Normalized"/> tokens are
/// matched in the normalized text, the others in the raw input; <see cref="LStrip"/>/<see cref="RStrip"/>
/// absorb neighbouring whitespace; <see cref="SingleWord"/> only matches whole words.
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip, bool SingleWord);
