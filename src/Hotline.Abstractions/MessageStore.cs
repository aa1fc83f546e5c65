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
/// Append-only message table. The consultation grain is the only writer of its consultation, so it assigns seq; the
/// table enforces unique (consultation_id, seq). A clientMessageId is unique per sender, not per consultation, and a
/// resent one is found by the writer, not by an index: the consultation grain reads every stored message before its
/// first append and remembers each sender's ids. A second writer with a stale view (two activations during a
/// failover) cannot store a resend under another seq without first taking a seq the other holds;
/// <see cref="AppendAsync"/> answers that conflict with the sender's stored message when it has the same id, and a
/// writer answered with a message at another seq than it tried must re-read before its next append (the grain does).
/// </summary>
public interface IMessageStore
{
    /// <summary>
    /// Stores the message durably. If its seq is taken and the sender stored a message with the same clientMessageId,
    /// returns that one (Duplicate = true); a seq taken by another message throws a sequence conflict. A resend under a
    /// free seq is the writer's to prevent (see the type's summary).
    /// </summary>
    Task<AppendOutcome> AppendAsync(StoredMessage message, CancellationToken cancellationToken = default);
    /// <summary>Messages with seq &gt; afterSeq, ordered by seq, at most limit.</summary>
    Task<IReadOnlyList<StoredMessage>> ReadAsync(string consultationId, long afterSeq, int limit, CancellationToken cancellationToken = default);
    /// <summary>Highest seq stored for the consultation (0 if none).</summary>
    Task<long> GetLastSeqAsync(string consultationId, CancellationToken cancellationToken = default);
    /// <summary>The message this sender stored with this clientMessageId, if any.</summary>
    Task<StoredMessage?> FindByClientMessageIdAsync(string consultationId, string senderId, string clientMessageId, CancellationToken cancellationToken = default);
    /// <summary>Blanks the text and sender name of every message of the consultation (erase, retention purge); seq and times stay.</summary>
    Task EraseTextsAsync(string consultationId, CancellationToken cancellationToken = default);
    /// <summary>
    /// After an erase (texts, or personal fields in grain state): leaves no copy of what was overwritten in the store's
    /// files. SQLite copies the WAL into the database, whose pages <c>secure_delete</c> wrote zeroed, and truncates it;
    /// PostgreSQL does nothing here: its old row versions stay until vacuumed (and in its WAL and any archive; see
    /// SECURITY.md). Returns false if the store could not finish it now (readers still on an older snapshot): the next
    /// checkpoint does it.
    /// </summary>
    Task<bool> ScrubErasedAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The grain records the store holds, listed by grain type: for one-off sweeps over data an older build left (see
/// <c>IRetentionGrain.Sweep</c>), not for any request path.
/// </summary>
public interface IGrainStateCatalog
{
    /// <summary>Up to <paramref name="limit"/> keys of stored records of <paramref name="grainType"/> (the grain type's
    /// Orleans name, e.g. <c>consultation</c>) and <paramref name="stateName"/>, in key order, after <paramref name="after"/>
    /// (null: from the first): a page of a walk that may resume where it stopped.</summary>
    Task<IReadOnlyList<string>> ListKeysAsync(string grainType, string stateName, string? after, int limit, CancellationToken cancellationToken = default);
}

/// <summary>What a retention day lists (<see cref="IRetentionIndex"/>).</summary>
public enum RetentionRecordKind
{
    /// <summary>A consultation closed that day.</summary>
    Consultation,

    /// <summary>A worker record that got a personal field that day.</summary>
    Worker,
}

/// <summary>
/// The records retention purges, by UTC day: one row per record, so an addition writes that row alone, however many the
/// day already lists (a day's list kept as one record was written whole on every addition).
/// </summary>
public interface IRetentionIndex
{
    /// <summary>Lists <paramref name="recordId"/> under <paramref name="day"/> (a day key, e.g. <c>retention-2026-11-30</c>);
    /// listing it again changes nothing.</summary>
    Task AddAsync(string day, RetentionRecordKind kind, string recordId, CancellationToken cancellationToken = default);

    /// <summary>The records of one kind listed under <paramref name="day"/>, in no particular order.</summary>
    Task<IReadOnlyList<string>> ListAsync(string day, RetentionRecordKind kind, CancellationToken cancellationToken = default);

    /// <summary>Forgets every record listed under <paramref name="day"/> (after its purge).</summary>
    Task ClearAsync(string day, CancellationToken cancellationToken = default);
}

/// <summary>
/// The audit log's entries, by UTC day (a day key, e.g. <c>audit-2026-11-30</c>): one row per entry, so recording one
/// writes that entry alone, however many the day already holds (a day kept as one record was written whole on every
/// entry, which a flood of failed logins would have made quadratic).
/// </summary>
public interface IAuditStore
{
    /// <summary>Stores one entry under <paramref name="day"/>; durable when the task completes. Storing an entry alike in
    /// every field and instant again leaves one (a retried write is harmless).</summary>
    Task AppendAsync(string day, AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>The entries stored under <paramref name="day"/>, optionally of one consultation, in time order.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(string day, string? consultationId, CancellationToken cancellationToken = default);
}
