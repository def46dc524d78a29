namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary>A <c>pre_tokenizer</c> stage: splits each piece of normalized text into smaller pieces (empty pieces are dropped).</summary>
internal interface IPreTokenizer
{
    void PreTokenize(List<NormalizedText> pieces);

    /// <summary>True when the pieces leave this stage as bytes (the ByteLevel pre-tokenizer).</summary>
    bool ProducesByteLevel { get; }

    /// <summary>True when a stage may drop text (a Split with behavior Removed), so that text yields no token.</summary>
    bool MayRemoveText => false;
}
