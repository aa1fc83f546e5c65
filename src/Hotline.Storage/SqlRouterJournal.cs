using System.Data.Common;
using System.Text;
using System.Text.Json;
using Hotline.Abstractions;

namespace Hotline.Storage;

/// <summary>
/// <see cref="IRouterJournal"/> on the hotline database: <c>router_snapshot</c> (one row per router) and
/// <c>router_journal</c> (one row per batch), JSON payloads as in <c>grain_state</c>. An append is one INSERT of the batch
/// alone, so its cost does not depend on how many consultations wait; a snapshot is one upsert and one DELETE.
/// </summary>
public sealed class SqlRouterJournal(HotlineDatabase database) : IRouterJournal
{
    /// <inheritdoc />
    public Task<RouterJournalData<TState, TBatch>> LoadAsync<TState, TBatch>(string routerId, CancellationToken cancellationToken = default) =>
        database.RunAsync(async (connection, ct) =>
        {
            TState? snapshot = default;
            long snapshotSeq = 0;
            await using (var read = connection.Command("SELECT seq, payload FROM router_snapshot WHERE router_id = @r"))
            {
                read.AddParameter("r", routerId);
                await using var reader = await read.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct))
                    (snapshotSeq, snapshot) = (reader.GetInt64(0), JsonSerializer.Deserialize<TState>(reader.GetString(1), database.JsonOptions));
            }
            var batches = new List<(long, TBatch)>();
            await using (var read = connection.Command("SELECT seq, payload FROM router_journal WHERE router_id = @r AND seq > @s ORDER BY seq"))
            {
                read.AddParameter("r", routerId).AddParameter("s", snapshotSeq);
                await using var reader = await read.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                    batches.Add((reader.GetInt64(0), JsonSerializer.Deserialize<TBatch>(reader.GetString(1), database.JsonOptions)!));
            }
            return new RouterJournalData<TState, TBatch>(snapshot, snapshotSeq, batches);
        }, write: false, cancellationToken);

    /// <inheritdoc />
    public Task<int> AppendAsync<TBatch>(string routerId, long seq, TBatch batch, string writer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(writer);
        var payload = JsonSerializer.Serialize(batch, database.JsonOptions);
        return database.RunAsync(async (connection, ct) =>
        {
            await using var exclusive = await Exclusive(connection, routerId, ct);
            // Not over a snapshot at this seq or later: another writer's snapshot may already have dropped the batch it
            // wrote here, and a load would skip this one (seq <= snapshot) as if it never ran.
            await using (var insert = connection.Command(
                "INSERT INTO router_journal (router_id, seq, payload, writer) SELECT @r, @s, @p, @w " +
                "WHERE NOT EXISTS (SELECT 1 FROM router_snapshot WHERE router_id = @r AND seq >= @s) ON CONFLICT DO NOTHING", exclusive))
            {
                insert.AddParameter("r", routerId).AddParameter("s", seq).AddParameter("p", payload).AddParameter("w", writer);
                if (await insert.ExecuteNonQueryAsync(ct) == 0)
                {
                    // PostgreSQL retries an attempt whose outcome was lost: this very batch there means the earlier attempt stored it.
                    await using var check = connection.Command("SELECT payload, writer FROM router_journal WHERE router_id = @r AND seq = @s", exclusive);
                    check.AddParameter("r", routerId).AddParameter("s", seq);
                    await using var reader = await check.ExecuteReaderAsync(ct);
                    if (!await reader.ReadAsync(ct) || reader.GetString(0) != payload || reader.IsDBNull(1) || reader.GetString(1) != writer)
                        throw new RouterJournalConflictException(routerId, seq);
                }
            }
            if (exclusive is not null) await exclusive.CommitAsync(ct);
            return Encoding.UTF8.GetByteCount(payload);
        }, write: true, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> SnapshotAsync<TState>(string routerId, long seq, TState state, string writer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(writer);
        var payload = JsonSerializer.Serialize(state, database.JsonOptions);
        return database.RunAsync(async (connection, ct) =>
        {
            await using var exclusive = await Exclusive(connection, routerId, ct);
            // Another writer's work at this seq or later (a newer snapshot, or any batch from this seq on that is not this
            // writer's own, e.g. one whose answer was lost) means this writer's state is stale: it must not replace it.
            await using (var check = connection.Command(
                "SELECT 1 FROM router_snapshot WHERE router_id = @r AND (seq > @s OR (seq = @s AND (writer IS NULL OR writer <> @w))) " +
                "UNION ALL SELECT 1 FROM router_journal WHERE router_id = @r AND seq >= @s AND (writer IS NULL OR writer <> @w)", exclusive))
            {
                check.AddParameter("r", routerId).AddParameter("s", seq).AddParameter("w", writer);
                if (await check.ExecuteScalarAsync(ct) is not null) throw new RouterJournalConflictException(routerId, seq);
            }
            // Snapshot first, then the covered batches: a crash in between leaves batches that loading skips (seq <= snapshot).
            await using (var upsert = connection.Command(
                "INSERT INTO router_snapshot (router_id, seq, payload, updated_at, writer) VALUES (@r, @s, @p, @u, @w) " +
                "ON CONFLICT (router_id) DO UPDATE SET seq = excluded.seq, payload = excluded.payload, updated_at = excluded.updated_at, writer = excluded.writer", exclusive))
            {
                upsert.AddParameter("r", routerId).AddParameter("s", seq).AddParameter("p", payload)
                    .AddParameter("u", HotlineDatabase.Normalize(database.Time.GetUtcNow())).AddParameter("w", writer);
                await upsert.ExecuteNonQueryAsync(ct);
            }
            await using (var prune = connection.Command("DELETE FROM router_journal WHERE router_id = @r AND seq <= @s", exclusive))
            {
                prune.AddParameter("r", routerId).AddParameter("s", seq);
                await prune.ExecuteNonQueryAsync(ct);
            }
            if (exclusive is not null) await exclusive.CommitAsync(ct);
            return Encoding.UTF8.GetByteCount(payload);
        }, write: true, cancellationToken);
    }

    /// <summary>
    /// PostgreSQL: a transaction holding this router's advisory lock, so that two writers' checks and writes do not
    /// interleave (each statement there commits on its own otherwise). SQLite: none, its group commit runs each write alone.
    /// </summary>
    private async Task<DbTransaction?> Exclusive(DbConnection connection, string routerId, CancellationToken ct)
    {
        if (database.Dialect != SqlDialect.Postgres) return null;
        var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            await using var take = connection.Command("SELECT pg_advisory_xact_lock(hashtextextended(@r, 12351))", transaction);
            take.AddParameter("r", routerId);
            await take.ExecuteNonQueryAsync(ct);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }
}
