using System.Data.Common;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Hotline.Storage;

/// <summary>
/// Orleans reminders in the project's own database (<c>reminders</c> table, migration 2): durable deadlines that
/// survive a kill -9, a restart or a failover, on SQLite (embedded) and PostgreSQL (cluster) alike.
/// One row per (service, grain, reminder name); <c>grain_hash</c> is the grain's uniform hash, so that each silo reads
/// only the ring range it owns; the ETag is a new GUID per write (optimistic concurrency, as grain state).
/// </summary>
public sealed class HotlineReminderTable : IReminderTable
{
    private const string Columns = "grain_id, reminder_name, start_at, period_ms, etag";
    private readonly HotlineDatabase _database;
    private readonly string _serviceId;

    /// <summary>Creates the table over a database, scoped to the cluster's service id.</summary>
    public HotlineReminderTable(HotlineDatabase database, IOptions<ClusterOptions> cluster)
    {
        _database = database ?? throw new ArgumentNullException(nameof(database));
        _serviceId = cluster?.Value.ServiceId ?? "hotline";
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken = default) => _database.EnsureSchemaAsync(cancellationToken);

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        Read("grain_id = @g", c => c.AddParameter("g", grainId.ToString()));

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(uint begin, uint end) => begin < end
        // The range is (begin, end]; begin >= end wraps around the ring.
        ? Read("grain_hash > @b AND grain_hash <= @e", c => c.AddParameter("b", (long)begin).AddParameter("e", (long)end))
        : Read("(grain_hash > @b OR grain_hash <= @e)", c => c.AddParameter("b", (long)begin).AddParameter("e", (long)end));

    /// <inheritdoc />
    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        var rows = await Read("grain_id = @g AND reminder_name = @n", c => c.AddParameter("g", grainId.ToString()).AddParameter("n", reminderName));
        return rows.Reminders.FirstOrDefault();
    }

    /// <inheritdoc />
    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var etag = Guid.NewGuid().ToString("N");
        var startAt = HotlineDatabase.Normalize(new DateTimeOffset(DateTime.SpecifyKind(entry.StartAt, DateTimeKind.Utc)));
        return _database.RunAsync(async (connection, ct) =>
        {
            // Same text on both engines (SQLite >= 3.24 and PostgreSQL both know ON CONFLICT ... DO UPDATE).
            await using var upsert = connection.Command(
                "INSERT INTO reminders (service_id, grain_id, reminder_name, grain_hash, start_at, period_ms, etag) " +
                "VALUES (@s, @g, @n, @h, @at, @p, @e) " +
                "ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET grain_hash = @h, start_at = @at, period_ms = @p, etag = @e");
            upsert.AddParameter("s", _serviceId).AddParameter("g", entry.GrainId.ToString()).AddParameter("n", entry.ReminderName)
                .AddParameter("h", (long)entry.GrainId.GetUniformHashCode()).AddParameter("at", startAt)
                .AddParameter("p", (long)entry.Period.TotalMilliseconds).AddParameter("e", etag);
            await upsert.ExecuteNonQueryAsync(ct);
            return (string?)etag;
        }, write: true, CancellationToken.None);
    }

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        _database.RunAsync(async (connection, ct) =>
        {
            await using var delete = connection.Command(
                "DELETE FROM reminders WHERE service_id = @s AND grain_id = @g AND reminder_name = @n AND etag = @e");
            delete.AddParameter("s", _serviceId).AddParameter("g", grainId.ToString()).AddParameter("n", reminderName).AddParameter("e", eTag);
            return await delete.ExecuteNonQueryAsync(ct) == 1;
        }, write: true, CancellationToken.None);

    /// <inheritdoc />
    public Task TestOnlyClearTable() =>
        _database.RunAsync(async (connection, ct) =>
        {
            await using var delete = connection.Command("DELETE FROM reminders WHERE service_id = @s");
            delete.AddParameter("s", _serviceId);
            return await delete.ExecuteNonQueryAsync(ct);
        }, write: true, CancellationToken.None);

    private Task<ReminderTableData> Read(string where, Action<DbCommand> bind) =>
        _database.RunAsync(async (connection, ct) =>
        {
            await using var select = connection.Command($"SELECT {Columns} FROM reminders WHERE service_id = @s AND {where}");
            select.AddParameter("s", _serviceId);
            bind(select);
            await using var reader = await select.ExecuteReaderAsync(ct);
            var list = new List<ReminderEntry>();
            while (await reader.ReadAsync(ct))
            {
                list.Add(new ReminderEntry
                {
                    GrainId = GrainId.Parse(reader.GetString(0)),
                    ReminderName = reader.GetString(1),
                    StartAt = HotlineDatabase.ReadInstant(reader, 2).UtcDateTime,
                    Period = TimeSpan.FromMilliseconds(reader.GetInt64(3)),
                    ETag = reader.GetString(4),
                });
            }
            return new ReminderTableData(list);
        }, write: false, CancellationToken.None);
}
