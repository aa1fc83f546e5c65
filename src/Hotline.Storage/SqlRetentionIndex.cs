using Hotline.Abstractions;

namespace Hotline.Storage;

/// <summary>
/// <see cref="IRetentionIndex"/> on the hotline database: <c>retention_index</c>, one row per (day, kind, record). An
/// addition is one INSERT that a repeat leaves as it is, on SQLite and PostgreSQL alike.
/// </summary>
public sealed class SqlRetentionIndex(HotlineDatabase database) : IRetentionIndex
{
    /// <inheritdoc />
    public Task AddAsync(string day, RetentionRecordKind kind, string recordId, CancellationToken cancellationToken = default) =>
        database.RunAsync(async (connection, ct) =>
        {
            await using var insert = connection.Command(
                "INSERT INTO retention_index (day, kind, record_id) VALUES (@d, @k, @i) ON CONFLICT (day, kind, record_id) DO NOTHING");
            insert.AddParameter("d", day).AddParameter("k", KindOf(kind)).AddParameter("i", recordId);
            return await insert.ExecuteNonQueryAsync(ct);
        }, write: true, cancellationToken, singleStatement: true);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListAsync(string day, RetentionRecordKind kind, CancellationToken cancellationToken = default) =>
        database.RunAsync<IReadOnlyList<string>>(async (connection, ct) =>
        {
            await using var read = connection.Command("SELECT record_id FROM retention_index WHERE day = @d AND kind = @k");
            read.AddParameter("d", day).AddParameter("k", KindOf(kind));
            await using var reader = await read.ExecuteReaderAsync(ct);
            var ids = new List<string>();
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
            return ids;
        }, write: false, cancellationToken);

    /// <inheritdoc />
    public Task ClearAsync(string day, CancellationToken cancellationToken = default) =>
        database.RunAsync(async (connection, ct) =>
        {
            await using var delete = connection.Command("DELETE FROM retention_index WHERE day = @d");
            delete.AddParameter("d", day);
            return await delete.ExecuteNonQueryAsync(ct);
        }, write: true, cancellationToken, singleStatement: true);

    // Stored as short stable names, not the enum's number, so a reordered enum cannot change what a row means.
    private static string KindOf(RetentionRecordKind kind) => kind switch
    {
        RetentionRecordKind.Consultation => "c",
        RetentionRecordKind.Worker => "w",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
