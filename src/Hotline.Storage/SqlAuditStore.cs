using Hotline.Abstractions;

namespace Hotline.Storage;

/// <summary>
/// <see cref="IAuditStore"/> on the hotline database: <c>audit_log</c>, one row per entry (an INSERT each), keyed by day
/// and an id made of the entry's instant and a hash of its content: a day lists in time order, and storing the same
/// entry again (a retried write whose commit was not acknowledged, an entry the retention job writes once more) leaves
/// one row. Two entries alike in every field and instant are one entry.
/// </summary>
public sealed class SqlAuditStore(HotlineDatabase database) : IAuditStore
{
    /// <inheritdoc />
    public Task AppendAsync(string day, AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var at = HotlineDatabase.Normalize(entry.At);
        var id = EntryId(entry, at);
        return database.RunAsync(async (connection, ct) =>
        {
            await using var insert = connection.Command(
                """
                INSERT INTO audit_log (day, entry_id, at, actor_id, actor_role, action, consultation_id, reason)
                VALUES (@d, @i, @at, @actor, @role, @action, @c, @reason)
                ON CONFLICT (day, entry_id) DO NOTHING
                """);
            insert.AddParameter("d", day).AddParameter("i", id).AddParameter("at", at)
                .AddParameter("actor", entry.ActorId).AddParameter("role", entry.ActorRole).AddParameter("action", entry.Action)
                .AddParameter("c", entry.ConsultationId).AddParameter("reason", entry.Reason);
            return await insert.ExecuteNonQueryAsync(ct);
        }, write: true, cancellationToken, singleStatement: true);
    }

    /// <summary>The instant in ticks (fixed width, so ids sort in time order under any collation), then a hash of the
    /// fields: the same entry always gets the same id.</summary>
    private static string EntryId(AuditEntry entry, DateTimeOffset at)
    {
        var content = string.Join('\u001f', entry.ActorId, entry.ActorRole, entry.Action, entry.ConsultationId ?? "\u0000", entry.Reason ?? "\u0000");
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content));
        return $"{at.UtcTicks:D20}-{Convert.ToHexStringLower(hash, 0, 16)}";
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListAsync(string day, string? consultationId, CancellationToken cancellationToken = default) =>
        database.RunAsync<IReadOnlyList<AuditEntry>>(async (connection, ct) =>
        {
            await using var read = connection.Command("SELECT at, actor_id, actor_role, action, consultation_id, reason FROM audit_log WHERE day = @d"
                + (consultationId is null ? "" : " AND consultation_id = @c") + " ORDER BY entry_id");
            read.AddParameter("d", day);
            if (consultationId is not null) read.AddParameter("c", consultationId);
            await using var reader = await read.ExecuteReaderAsync(ct);
            var entries = new List<AuditEntry>();
            while (await reader.ReadAsync(ct))
            {
                entries.Add(new AuditEntry
                {
                    At = HotlineDatabase.ReadInstant(reader, 0),
                    ActorId = reader.GetString(1),
                    ActorRole = reader.GetString(2),
                    Action = reader.GetString(3),
                    ConsultationId = reader.IsDBNull(4) ? null : reader.GetString(4),
                    Reason = reader.IsDBNull(5) ? null : reader.GetString(5),
                });
            }
            return entries;
        }, write: false, cancellationToken);
}
