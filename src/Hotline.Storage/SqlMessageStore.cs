using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Hotline.Abstractions;
using Hotline.Domain;

namespace Hotline.Storage;

/// <summary>
/// The append-only <c>messages</c> table on SQLite or PostgreSQL. Instants are stored (and returned) in UTC with
/// microsecond precision.
/// </summary>
public sealed class SqlMessageStore : IMessageStore
{
    private const string Columns = "consultation_id, seq, sender_role, sender_id, sender_name, text, sent_at, client_message_id";
    private const string InsertSql = $"INSERT INTO messages ({Columns}) VALUES (@c, @seq, @role, @sid, @sname, @text, @at, @cmid) ON CONFLICT DO NOTHING";
    private readonly HotlineDatabase _database;
    // SQLite's group commit writes through one long-lived connection: its INSERT is prepared once per connection and
    // reused (a new command per message re-ran sqlite3_prepare each time). PostgreSQL connections come from the pool.
    private readonly ConditionalWeakTable<DbConnection, DbCommand> _inserts = new();

    /// <summary>Creates the store over a database.</summary>
    public SqlMessageStore(HotlineDatabase database) => _database = database ?? throw new ArgumentNullException(nameof(database));

    /// <summary>
    /// Inserts the message. If its seq is taken and the same sender stored one with the same client message id, returns
    /// that one with Duplicate = true; a seq taken by another message throws <see cref="MessageSequenceConflictException"/>.
    /// No index looks for the client message id on the insert itself: the writer does (see <see cref="IMessageStore"/>).
    /// </summary>
    /// <remarks>
    /// PostgreSQL retries each attempt on a new connection. When an earlier attempt of this call sent the INSERT and
    /// lost its connection before learning the outcome, and the row is there with this very seq, sender and text, it
    /// is this call's own write: it is returned with Duplicate = false (the message was stored by this call, once).
    /// </remarks>
    public async Task<AppendOutcome> AppendAsync(StoredMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.ConsultationId);
        ArgumentException.ThrowIfNullOrEmpty(message.ClientMessageId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(message.Seq);
        var stored = message with { SentAt = HotlineDatabase.Normalize(message.SentAt) };
        var insertSent = false;

        return await _database.RunAsync(async (connection, ct) =>
        {
            var ownEarlierInsert = insertSent;
            // One statement on the common path: the insert itself. Only when the seq is taken (this call's own earlier
            // attempt, a stale writer's resend, or another writer's message) is the sender's row read to tell which.
            var reuse = connection is SqliteConnection;
            var insert = reuse ? _inserts.GetValue(connection, NewInsert) : NewInsert(connection);
            int inserted;
            try
            {
                var p = insert.Parameters;
                p[0].Value = stored.ConsultationId;
                p[1].Value = stored.Seq;
                p[2].Value = RoleText(stored.SenderRole);
                p[3].Value = stored.SenderId;
                p[4].Value = stored.SenderName;
                p[5].Value = stored.Text;
                p[6].Value = stored.SentAt;
                p[7].Value = stored.ClientMessageId;
                insertSent = true;
                inserted = await insert.ExecuteNonQueryAsync(ct);
            }
            finally
            {
                if (!reuse) await insert.DisposeAsync();
            }
            if (inserted == 1) return new AppendOutcome(stored, Duplicate: false);

            var existing = await FindAsync(connection, stored.ConsultationId, stored.SenderId, stored.ClientMessageId, ct);
            if (existing is not null)
                return new AppendOutcome(existing, Duplicate: !(ownEarlierInsert && SameMessage(existing, stored)));
            throw new MessageSequenceConflictException(stored.ConsultationId, stored.Seq, null);
        }, write: true, cancellationToken, singleStatement: true); // the INSERT is its only change: no savepoint needed
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredMessage>> ReadAsync(string consultationId, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consultationId);
        if (limit <= 0) return Task.FromResult<IReadOnlyList<StoredMessage>>([]);
        return _database.RunAsync<IReadOnlyList<StoredMessage>>(async (connection, ct) =>
        {
            await using var select = connection.Command(
                $"SELECT {Columns} FROM messages WHERE consultation_id = @c AND seq > @after ORDER BY seq LIMIT @limit");
            select.AddParameter("c", consultationId).AddParameter("after", afterSeq).AddParameter("limit", (long)limit);
            await using var reader = await select.ExecuteReaderAsync(ct);
            var list = new List<StoredMessage>();
            while (await reader.ReadAsync(ct)) list.Add(Map(reader));
            return list;
        }, write: false, cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> GetLastSeqAsync(string consultationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consultationId);
        return _database.RunAsync(async (connection, ct) =>
        {
            await using var select = connection.Command("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE consultation_id = @c");
            select.AddParameter("c", consultationId);
            return Convert.ToInt64(await select.ExecuteScalarAsync(ct));
        }, write: false, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredMessage?> FindByClientMessageIdAsync(string consultationId, string senderId, string clientMessageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consultationId);
        ArgumentException.ThrowIfNullOrEmpty(senderId);
        ArgumentException.ThrowIfNullOrEmpty(clientMessageId);
        return _database.RunAsync((connection, ct) => FindAsync(connection, consultationId, senderId, clientMessageId, ct), write: false, cancellationToken);
    }

    /// <inheritdoc />
    public Task EraseTextsAsync(string consultationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consultationId);
        return _database.RunAsync(async (connection, ct) =>
        {
            await using var update = connection.Command("UPDATE messages SET text = '', sender_name = '' WHERE consultation_id = @c");
            update.AddParameter("c", consultationId);
            return await update.ExecuteNonQueryAsync(ct);
        }, write: true, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> ScrubErasedAsync(CancellationToken cancellationToken = default) => _database.CheckpointAndTruncateAsync(cancellationToken);

    private static async Task<StoredMessage?> FindAsync(DbConnection connection, string consultationId, string senderId, string clientMessageId, CancellationToken ct)
    {
        await using var select = connection.Command(
            $"SELECT {Columns} FROM messages WHERE consultation_id = @c AND sender_id = @sid AND client_message_id = @cmid ORDER BY seq LIMIT 1");
        select.AddParameter("c", consultationId).AddParameter("sid", senderId).AddParameter("cmid", clientMessageId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Map(reader) : null;
    }

    private static DbCommand NewInsert(DbConnection connection)
    {
        var insert = connection.Command(InsertSql);
        foreach (var name in (string[])["c", "seq", "role", "sid", "sname", "text", "at", "cmid"]) insert.AddParameter(name, null);
        return insert;
    }

    /// <summary>The stored role names (as <c>ToString()</c> wrote them), without formatting the enum per message.</summary>
    private static string RoleText(ParticipantRole role) => role switch
    {
        ParticipantRole.Worker => nameof(ParticipantRole.Worker),
        ParticipantRole.Lawyer => nameof(ParticipantRole.Lawyer),
        ParticipantRole.Admin => nameof(ParticipantRole.Admin),
        _ => role.ToString(),
    };

    private static StoredMessage Map(DbDataReader r) => new(
        r.GetString(0), r.GetInt64(1), Enum.Parse<ParticipantRole>(r.GetString(2), ignoreCase: true), r.GetString(3), r.GetString(4),
        r.GetString(5), HotlineDatabase.ReadInstant(r, 6), r.GetString(7));

    private static bool SameMessage(StoredMessage a, StoredMessage b) =>
        a.Seq == b.Seq && a.SenderRole == b.SenderRole && a.SenderId == b.SenderId && a.Text == b.Text;
}
