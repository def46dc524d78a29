namespace SteerServer.Models.Tokenization.Normalizers;

/// <summary>A <c>normalizer</c> stage of <c>tokenizer.json</c>: rewrites text, keeping the alignment to the input.</summary>
internal interface INormalizer
{
    NormalizedText Normalize(NormalizedText input);
}
