using Hotline.Domain;

namespace Hotline.Abstractions;

/// <summary>A stored chat message, as the append-only message table holds it.</summary>
public sealed record StoredMessage(string ConsultationId, long Seq, ParticipantRole SenderRole, string SenderId,
    string SenderName, string Text, DateTimeOffset SentAt, string ClientMessageId)
{
    /// <summary>An instant as every store keeps it: UTC, microsecond precision (PostgreSQL's), the same on both engines.</summary>
    public static DateTimeOffset StoredInstant(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % 10, TimeSpan.Zero);
    }
}

/// <summary>Outcome of an append: the stored message, and whether it was already there (same clientMessageId).</summary>
public sealed record AppendOutcome(StoredMessage Message, bool Duplicate);

/// <summary>
/// Append-only message table. The consultation grain is the only writer of its consultation, so it assigns seq;
/// the table still enforces unique (consultation_id, seq) and (consultation_id, sender_id, client_message_id): a
/// clientMessageId is unique per sender, not per consultation.
/// </summary>
public interface IMessageStore
{
    /// <summary>Stores the message durably, or returns the sender's existing one with the same clientMessageId (Duplicate = true).</summary>
    Task<AppendOutcome> AppendAsync(StoredMessage message, CancellationToken cancellationToken = default);
    /// <summary>Messages with seq &gt; afterSeq, ordered by seq, at most limit.</summary>
    Task<IReadOnlyList<StoredMessage>> ReadAsync(string consultationId, long afterSeq, int limit, CancellationToken cancellationToken = default);
    /// <summary>Highest seq stored for the consultation (0 if none).</summary>
    Task<long> GetLastSeqAsync(string consultationId, CancellationToken cancellationToken = default);
    /// <summary>The message this sender stored with this clientMessageId, if any.</summary>
    Task<StoredMessage?> FindByClientMessageIdAsync(string consultationId, string senderId, string clientMessageId, CancellationToken cancellationToken = default);
    /// <summary>Blanks the text and sender name of every message of the consultation (erase, retention purge); seq and times stay.</summary>
    Task EraseTextsAsync(string consultationId, CancellationToken cancellationToken = default);
}
