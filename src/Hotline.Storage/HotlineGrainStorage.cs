using Hotline.Abstractions;
using System.Data.Common;
using System.Text.Json;
using Orleans.Runtime;
using Orleans.Storage;

namespace Hotline.Storage;

/// <summary>
/// The project's own Orleans grain storage: one row per (grain type, grain id, state name) in <c>grain_state</c>,
/// JSON payload (<see cref="HotlineJson"/>), optimistic concurrency by ETag (a new GUID per write).
/// A stale ETag raises <see cref="InconsistentStateException"/>; an unreachable database
/// <see cref="StorageUnavailableException"/>.
/// </summary>
public sealed class HotlineGrainStorage : IGrainStorage, IGrainStateCatalog
{
    private readonly HotlineDatabase _database;

    /// <summary>Creates the storage over a database.</summary>
    public HotlineGrainStorage(HotlineDatabase database) => _database = database ?? throw new ArgumentNullException(nameof(database));

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <summary>Loads the state; a missing row leaves a fresh <typeparamref name="T"/>, no ETag, RecordExists false.</summary>
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = Key.Of(stateName, grainId);
        var row = await _database.RunAsync((c, ct) => ReadRowAsync(c, key, ct), write: false, cancellationToken);
        if (row is null)
        {
            grainState.State = CreateDefault(grainState.State);
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        T? state;
        try
        {
            state = JsonSerializer.Deserialize<T>(row.Value.Payload, _database.JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Stored state {key} cannot be read as {typeof(T).FullName}: {ex.Message}", ex);
        }
        grainState.State = state ?? CreateDefault(grainState.State);
        grainState.ETag = row.Value.ETag;
        grainState.RecordExists = true;
    }

    /// <summary>Writes the state if the stored ETag is still <c>grainState.ETag</c> (null: no row yet).</summary>
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = Key.Of(stateName, grainId);
        var payload = JsonSerializer.Serialize(grainState.State, _database.JsonOptions);
        var expected = grainState.ETag;
        var newETag = Guid.NewGuid().ToString("N");
        var now = HotlineDatabase.Normalize(_database.Time.GetUtcNow());

        await _database.RunAsync(async (connection, ct) =>
        {
            int rows;
            if (expected is null)
            {
                await using var insert = connection.Command(
                    "INSERT INTO grain_state (grain_type, grain_id, state_name, etag, payload, updated_at) VALUES (@t, @g, @s, @e, @p, @u)");
                key.Bind(insert).AddParameter("e", newETag).AddParameter("p", payload).AddParameter("u", now);
                try
                {
                    rows = await insert.ExecuteNonQueryAsync(ct);
                }
                catch (DbException ex) when (_database.Dialect.IsUniqueViolation(ex))
                {
                    rows = 0;
                }
            }
            else
            {
                await using var update = connection.Command(
                    "UPDATE grain_state SET etag = @e, payload = @p, updated_at = @u WHERE grain_type = @t AND grain_id = @g AND state_name = @s AND etag = @old");
                key.Bind(update).AddParameter("e", newETag).AddParameter("p", payload).AddParameter("u", now).AddParameter("old", expected);
                rows = await update.ExecuteNonQueryAsync(ct);
            }
            if (rows == 1) return true;

            // Either someone else wrote, or an earlier attempt of this very call committed before its connection
            // dropped (PostgreSQL retry): then the stored ETag is ours and the write is done.
            var stored = (await ReadRowAsync(connection, key, ct))?.ETag;
            if (stored == newETag) return true;
            throw new InconsistentStateException($"ETag mismatch writing {key}: stored {stored ?? "(none)"}, expected {expected ?? "(none)"}.",
                stored ?? "(none)", expected ?? "(none)");
        }, write: true, cancellationToken);

        grainState.ETag = newETag;
        grainState.RecordExists = true;
    }

    /// <summary>Deletes the row if the stored ETag is still <c>grainState.ETag</c>; then no ETag, RecordExists false.</summary>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var key = Key.Of(stateName, grainId);
        var expected = grainState.ETag;
        var attempts = 0;

        await _database.RunAsync(async (connection, ct) =>
        {
            var retry = attempts++ > 0;
            if (expected is not null)
            {
                await using var delete = connection.Command(
                    "DELETE FROM grain_state WHERE grain_type = @t AND grain_id = @g AND state_name = @s AND etag = @old");
                key.Bind(delete).AddParameter("old", expected);
                if (await delete.ExecuteNonQueryAsync(ct) == 1) return true;
            }
            var stored = (await ReadRowAsync(connection, key, ct))?.ETag;
            // No row: cleared already (nothing was written, or an earlier attempt of this call deleted it).
            if (stored is null && (expected is null || retry)) return true;
            throw new InconsistentStateException($"ETag mismatch clearing {key}: stored {stored ?? "(none)"}, expected {expected ?? "(none)"}.",
                stored ?? "(none)", expected ?? "(none)");
        }, write: true, cancellationToken);

        grainState.State = CreateDefault(grainState.State);
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListKeysAsync(string grainType, string stateName, string? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return _database.RunAsync<IReadOnlyList<string>>(async (connection, ct) =>
        {
            // Keyset paging over the primary key (grain_type, grain_id, state_name): the same on both engines.
            await using var select = connection.Command(
                "SELECT grain_id FROM grain_state WHERE grain_type = @t AND state_name = @s AND grain_id > @a ORDER BY grain_id LIMIT " +
                limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            select.AddParameter("t", grainType).AddParameter("s", stateName).AddParameter("a", after ?? "");
            var keys = new List<string>();
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) keys.Add(reader.GetString(0));
            return keys;
        }, write: false, cancellationToken);
    }

    private static async Task<(string ETag, string Payload)?> ReadRowAsync(DbConnection connection, Key key, CancellationToken ct)
    {
        await using var select = connection.Command(
            "SELECT etag, payload FROM grain_state WHERE grain_type = @t AND grain_id = @g AND state_name = @s");
        key.Bind(select);
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.GetString(0), reader.GetString(1));
    }

    private static T CreateDefault<T>(T current)
    {
        try
        {
            return Activator.CreateInstance<T>();
        }
        catch (MissingMethodException)
        {
            return current; // no parameterless constructor: keep what the runtime gave.
        }
    }

    private readonly record struct Key(string GrainType, string GrainId, string StateName)
    {
        public static Key Of(string stateName, GrainId grainId)
        {
            ArgumentException.ThrowIfNullOrEmpty(stateName);
            return new(grainId.Type.ToString()!, grainId.Key.ToString()!, stateName);
        }

        public DbCommand Bind(DbCommand command) =>
            command.AddParameter("t", GrainType).AddParameter("g", GrainId).AddParameter("s", StateName);

        public override string ToString() => $"{GrainType}/{GrainId}/{StateName}";
    }
}
