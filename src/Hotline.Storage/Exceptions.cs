namespace Hotline.Storage;

/// <summary>
/// The database could not be reached within the retry budget (e.g. PostgreSQL restarting for too long, SQLite file
/// locked beyond busy_timeout). Retryable: the API maps it to the error code <see cref="ErrorCode"/>.
/// Orleans carries it from the silo that hosts the failing grain to the caller's silo as this type: its cause is kept
/// as a <see cref="StorageFailureCause"/>, because the driver's own exceptions (Npgsql, Polly) have no Orleans codec,
/// and one of them as the inner exception made the whole failure arrive as a <c>CodecNotFoundException</c>.
/// </summary>
[GenerateSerializer, Alias("Hotline.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    /// <summary>The public API error code for this failure.</summary>
    public const string ErrorCode = "unavailable";

    /// <summary>Creates the exception; <paramref name="innerException"/> is kept as a <see cref="StorageFailureCause"/> chain.</summary>
    public StorageUnavailableException(string message, Exception? innerException = null)
        : base(message, StorageFailureCause.From(innerException)) { }
}

/// <summary>
/// What made the storage unavailable, in a form Orleans can carry between silos: the original exception's type name
/// and message (as the message, <c>Npgsql.NpgsqlException: Failed to connect...</c>), its stack trace (for the logs),
/// and its own cause the same way.
/// </summary>
[GenerateSerializer, Alias("Hotline.StorageFailureCause")]
public sealed class StorageFailureCause : Exception
{
    /// <summary>Creates a cause (see <see cref="From"/>).</summary>
    public StorageFailureCause(string causeType, string message, string? causeStackTrace, Exception? innerException)
        : base(message, innerException)
    {
        CauseType = causeType;
        CauseStackTrace = causeStackTrace;
    }

    /// <summary>The full name of the original exception's type (e.g. <c>Npgsql.NpgsqlException</c>).</summary>
    [Id(0)] public string CauseType { get; }

    /// <summary>Where the original exception was thrown.</summary>
    [Id(1)] public string? CauseStackTrace { get; }

    /// <inheritdoc />
    public override string? StackTrace => CauseStackTrace ?? base.StackTrace;

    /// <summary>The exception as a chain Orleans can carry; null stays null, a chain already carriable is kept.</summary>
    public static Exception? From(Exception? exception) => exception switch
    {
        null => null,
        StorageFailureCause or StorageUnavailableException => exception,
        _ => new StorageFailureCause(exception.GetType().FullName ?? exception.GetType().Name,
            $"{exception.GetType().FullName}: {exception.Message}", exception.StackTrace, From(exception.InnerException)),
    };
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
