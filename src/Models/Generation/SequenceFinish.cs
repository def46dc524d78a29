namespace SteerServer.Models.Generation;

/// <summary>Why a sequence left the batch. Only <see cref="Stop"/> and <see cref="Length"/> reach a client as finish_reason.</summary>
public enum SequenceFinish
{
    /// <summary>An end-of-sequence token or a stop string.</summary>
    Stop,
    /// <summary>The token budget or the context is used up.</summary>
    Length,
    /// <summary>The client left or the request timed out.</summary>
    Cancelled,
    /// <summary>The engine failed on this sequence; <see cref="SequenceUpdate.Error"/> says why.</summary>
    Error,
}
