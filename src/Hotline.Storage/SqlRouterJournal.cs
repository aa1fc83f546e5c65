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
    public Task<int> AppendAsync<TBatch>(string routerId, long seq, TBatch batch, CancellationToken cancellationToken = default)
    {
        var payload = JsonSerializer.Serialize(batch, database.JsonOptions);
        return database.RunAsync(async (connection, ct) =>
        {
            await using var insert = connection.Command("INSERT INTO router_journal (router_id, seq, payload) VALUES (@r, @s, @p) ON CONFLICT DO NOTHING");
            insert.AddParameter("r", routerId).AddParameter("s", seq).AddParameter("p", payload);
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                // PostgreSQL retries an attempt whose outcome was lost: this very payload there means the earlier attempt stored it.
                await using var check = connection.Command("SELECT payload FROM router_journal WHERE router_id = @r AND seq = @s");
                check.AddParameter("r", routerId).AddParameter("s", seq);
                if (await check.ExecuteScalarAsync(ct) is not string stored || stored != payload) throw new RouterJournalConflictException(routerId, seq);
            }
            return Encoding.UTF8.GetByteCount(payload);
        }, write: true, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> SnapshotAsync<TState>(string routerId, long seq, TState state, CancellationToken cancellationToken = default)
    {
        var payload = JsonSerializer.Serialize(state, database.JsonOptions);
        return database.RunAsync(async (connection, ct) =>
        {
            // Snapshot first, then the covered batches: a crash in between leaves batches that loading skips (seq <= snapshot).
            await using (var upsert = connection.Command(
                "INSERT INTO router_snapshot (router_id, seq, payload, updated_at) VALUES (@r, @s, @p, @u) " +
                "ON CONFLICT (router_id) DO UPDATE SET seq = excluded.seq, payload = excluded.payload, updated_at = excluded.updated_at " +
                "WHERE router_snapshot.seq <= excluded.seq"))
            {
                upsert.AddParameter("r", routerId).AddParameter("s", seq).AddParameter("p", payload)
                    .AddParameter("u", HotlineDatabase.Normalize(database.Time.GetUtcNow()));
                await upsert.ExecuteNonQueryAsync(ct);
            }
            await using (var prune = connection.Command("DELETE FROM router_journal WHERE router_id = @r AND seq <= @s"))
            {
                prune.AddParameter("r", routerId).AddParameter("s", seq);
                await prune.ExecuteNonQueryAsync(ct);
            }
            return Encoding.UTF8.GetByteCount(payload);
        }, write: true, cancellationToken);
    }
}
