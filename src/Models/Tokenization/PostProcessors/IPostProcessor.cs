namespace SteerServer.Models.Tokenization.PostProcessors;

/// <summary>A <c>post_processor</c> stage: adds special tokens around a single encoded sequence.</summary>
internal interface IPostProcessor
{
    /// <summary>Rewrites the token list in place; special tokens get the empty range (0, 0).</summary>
    void Process(List<EncodedToken> tokens, bool addSpecialTokens);
}
