using Hotline.Abstractions;

namespace Hotline.Storage;

/// <summary>
/// <see cref="IAuditStore"/> on the hotline database: <c>audit_log</c>, one row per entry (an INSERT each), keyed by day
/// and a per-process sequence with a random part, so entries of one day list in the order this process stored them.
/// </summary>
public sealed class SqlAuditStore(HotlineDatabase database) : IAuditStore
{
    /// <inheritdoc />
    public Task AppendAsync(string day, AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // Orders a day's entries (time first, then a random tie-break) without a per-dialect identity column.
        var id = $"{entry.At.UtcTicks:D20}-{Guid.NewGuid():N}";
        return database.RunAsync(async (connection, ct) =>
        {
            await using var insert = connection.Command(
                """
                INSERT INTO audit_log (day, entry_id, at, actor_id, actor_role, action, consultation_id, reason)
                VALUES (@d, @i, @at, @actor, @role, @action, @c, @reason)
                """);
            insert.AddParameter("d", day).AddParameter("i", id).AddParameter("at", HotlineDatabase.Normalize(entry.At))
                .AddParameter("actor", entry.ActorId).AddParameter("role", entry.ActorRole).AddParameter("action", entry.Action)
                .AddParameter("c", entry.ConsultationId).AddParameter("reason", entry.Reason);
            return await insert.ExecuteNonQueryAsync(ct);
        }, write: true, cancellationToken, singleStatement: true);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListAsync(string day, string? consultationId, CancellationToken cancellationToken = default) =>
        database.RunAsync<IReadOnlyList<AuditEntry>>(async (connection, ct) =>
        {
            await using var read = connection.Command(consultationId is null
                ? "SELECT at, actor_id, actor_role, action, consultation_id, reason FROM audit_log WHERE day = @d ORDER BY entry_id"
                : "SELECT at, actor_id, actor_role, action, consultation_id, reason FROM audit_log WHERE day = @d AND consultation_id = @c ORDER BY entry_id");
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
