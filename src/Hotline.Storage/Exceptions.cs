namespace Hotline.Storage;

/// <summary>
/// The database could not be reached within the retry budget (e.g. PostgreSQL restarting for too long, SQLite file
/// locked beyond busy_timeout). Retryable: the API maps it to the error code <see cref="ErrorCode"/>.
/// </summary>
public sealed class StorageUnavailableException : Exception
{
    /// <summary>The public API error code for this failure.</summary>
    public const string ErrorCode = "unavailable";

    /// <summary>Creates the exception.</summary>
    public StorageUnavailableException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>
/// An append hit an existing (consultation_id, seq) with a different client_message_id: two writers assigned the
/// same seq to one consultation. Not retryable as is: the writer must reload its last seq.
/// </summary>
public sealed class MessageSequenceConflictException : Exception
{
    /// <summary>The consultation.</summary>
    public string ConsultationId { get; }
    /// <summary>The seq that was taken.</summary>
    public long Seq { get; }

    /// <summary>Creates the exception.</summary>
    public MessageSequenceConflictException(string consultationId, long seq, Exception? innerException = null)
        : base($"Consultation '{consultationId}' already has a message with seq {seq} and another client message id: two writers.", innerException)
    {
        ConsultationId = consultationId;
        Seq = seq;
    }
}
