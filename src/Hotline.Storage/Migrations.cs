using System.Data.Common;

namespace Hotline.Storage;

/// <summary>
/// The project's own schema, as ordered migrations. Never edit a shipped migration: append a new one.
/// Types: TEXT and BIGINT are the same on both engines; instants use <see cref="SqlDialect.TimestampType"/>.
/// </summary>
internal static class Migrations
{
    internal sealed record Migration(int Version, string Name, Func<SqlDialect, string[]> Statements);

    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "grain_state and messages", d =>
        [
            $"""
            CREATE TABLE grain_state (
                grain_type TEXT NOT NULL,
                grain_id   TEXT NOT NULL,
                state_name TEXT NOT NULL,
                etag       TEXT NOT NULL,
                payload    TEXT NOT NULL,
                updated_at {d.TimestampType} NOT NULL,
                PRIMARY KEY (grain_type, grain_id, state_name)
            )
            """,
            $"""
            CREATE TABLE messages (
                consultation_id   TEXT   NOT NULL,
                seq               BIGINT NOT NULL,
                sender_role       TEXT   NOT NULL,
                sender_id         TEXT   NOT NULL,
                sender_name       TEXT   NOT NULL,
                text              TEXT   NOT NULL,
                sent_at           {d.TimestampType} NOT NULL,
                client_message_id TEXT   NOT NULL,
                PRIMARY KEY (consultation_id, seq),
                CONSTRAINT messages_client_message_id_key UNIQUE (consultation_id, client_message_id)
            )
            """,
        ]),
        new(2, "reminders", d =>
        [
            $"""
            CREATE TABLE reminders (
                service_id    TEXT   NOT NULL,
                grain_id      TEXT   NOT NULL,
                reminder_name TEXT   NOT NULL,
                grain_hash    BIGINT NOT NULL,
                start_at      {d.TimestampType} NOT NULL,
                period_ms     BIGINT NOT NULL,
                etag          TEXT   NOT NULL,
                PRIMARY KEY (service_id, grain_id, reminder_name)
            )
            """,
            "CREATE INDEX reminders_hash ON reminders (service_id, grain_hash)",
        ]),
        // A clientMessageId is the sender's own: the worker and each lawyer may happen to pick the same one.
        new(3, "messages: clientMessageId unique per sender", d => d == SqlDialect.Sqlite
            ?
            [
                // SQLite cannot drop a table constraint: rebuild the table.
                $"""
                CREATE TABLE messages_v3 (
                    consultation_id   TEXT   NOT NULL,
                    seq               BIGINT NOT NULL,
                    sender_role       TEXT   NOT NULL,
                    sender_id         TEXT   NOT NULL,
                    sender_name       TEXT   NOT NULL,
                    text              TEXT   NOT NULL,
                    sent_at           {d.TimestampType} NOT NULL,
                    client_message_id TEXT   NOT NULL,
                    PRIMARY KEY (consultation_id, seq)
                )
                """,
                "INSERT INTO messages_v3 SELECT consultation_id, seq, sender_role, sender_id, sender_name, text, sent_at, client_message_id FROM messages",
                "DROP TABLE messages",
                "ALTER TABLE messages_v3 RENAME TO messages",
                "CREATE UNIQUE INDEX messages_sender_client_message_id ON messages (consultation_id, sender_id, client_message_id)",
            ]
            :
            [
                "ALTER TABLE messages DROP CONSTRAINT messages_client_message_id_key",
                "CREATE UNIQUE INDEX messages_sender_client_message_id ON messages (consultation_id, sender_id, client_message_id)",
            ]),
        new(4, "router journal and snapshot", d =>
        [
            $"""
            CREATE TABLE router_snapshot (
                router_id  TEXT   NOT NULL PRIMARY KEY,
                seq        BIGINT NOT NULL,
                payload    TEXT   NOT NULL,
                updated_at {d.TimestampType} NOT NULL
            )
            """,
            """
            CREATE TABLE router_journal (
                router_id TEXT   NOT NULL,
                seq       BIGINT NOT NULL,
                payload   TEXT   NOT NULL,
                PRIMARY KEY (router_id, seq)
            )
            """,
        ]),
        // The unique (consultation_id, sender_id, client_message_id) index doubled the cost of an append (a second random
        // B-tree leaf per message: measured 46-51 against 20-24 us of SQLite CPU per message, docs/perf-message-path.md).
        // A resent clientMessageId is found without it: the consultation grain, the only writer of its consultation,
        // reads every stored message before its first append and remembers each sender's ids; a writer whose view is
        // stale (a second activation in a failover) must take the seq the first one holds, the store answers that conflict
        // with the first one's message when it carries the same sender and id (SqlMessageStore.AppendAsync), and a writer
        // answered with a message at another seq than it tried re-reads the whole tail before its next append.
        new(5, "messages: a resent clientMessageId is found by the consultation and the seq key", _ =>
        [
            "DROP INDEX IF EXISTS messages_sender_client_message_id",
        ]),
        // A retention day's records were one grain state rewritten whole on every addition (a day with n registrations wrote
        // about n^2/2 ids); a row per record is written once. Days listed in grain_state by older builds are still read.
        new(6, "retention index: a row per record and day", _ =>
        [
            """
            CREATE TABLE retention_index (
                day       TEXT NOT NULL,
                kind      TEXT NOT NULL,
                record_id TEXT NOT NULL,
                PRIMARY KEY (day, kind, record_id)
            )
            """,
        ]),
        // The audit log's days were grain states written whole on every entry, like the retention days above; a flood of
        // failed logins (each audited) made that quadratic. A row per entry; days older builds kept are still read.
        new(7, "audit log: a row per entry", d =>
        [
            $"""
            CREATE TABLE audit_log (
                day             TEXT NOT NULL,
                entry_id        TEXT NOT NULL,
                at              {d.TimestampType} NOT NULL,
                actor_id        TEXT NOT NULL,
                actor_role      TEXT NOT NULL,
                action          TEXT NOT NULL,
                consultation_id TEXT NULL,
                reason          TEXT NULL,
                PRIMARY KEY (day, entry_id)
            )
            """,
        ]),
        // A snapshot over another router activation's newer writes was stored (or silently skipped) as if it were current:
        // each row now names its writer, and a snapshot or batch over another writer's later work is refused.
        new(8, "router journal: the writer of each batch and snapshot", _ =>
        [
            "ALTER TABLE router_journal ADD COLUMN writer TEXT NULL",
            "ALTER TABLE router_snapshot ADD COLUMN writer TEXT NULL",
        ]),
    ];

    public static int LatestVersion => All[^1].Version;

    /// <summary>Applies the pending migrations in one transaction; returns how many were applied.</summary>
    public static async Task<int> ApplyAsync(DbConnection connection, SqlDialect dialect, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var transaction = await dialect.BeginMigrationAsync(connection, cancellationToken);
        await using (var create = connection.Command(
            $"CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at {dialect.TimestampType} NOT NULL)",
            transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        long current;
        await using (var read = connection.Command("SELECT COALESCE(MAX(version), 0) FROM schema_version", transaction))
        {
            current = Convert.ToInt64(await read.ExecuteScalarAsync(cancellationToken));
        }
        if (current > LatestVersion)
            throw new InvalidOperationException($"The database schema is at version {current}, newer than this build knows ({LatestVersion}).");

        var applied = 0;
        foreach (var migration in All.Where(m => m.Version > current))
        {
            foreach (var sql in migration.Statements(dialect))
            {
                await using var command = connection.Command(sql, transaction);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var record = connection.Command("INSERT INTO schema_version (version, name, applied_at) VALUES (@v, @n, @at)", transaction);
            record.AddParameter("v", (long)migration.Version).AddParameter("n", migration.Name).AddParameter("at", HotlineDatabase.Normalize(time.GetUtcNow()));
            await record.ExecuteNonQueryAsync(cancellationToken);
            applied++;
        }
        await transaction.CommitAsync(cancellationToken);
        return applied;
    }
}
