using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hotline.Storage;

/// <summary>
/// Every difference between SQLite and PostgreSQL lives here: the timestamp column type, how a unique violation is
/// recognised, and how concurrent migrators are kept apart. All queries are otherwise the same text on both.
/// </summary>
internal abstract class SqlDialect
{
    public static readonly SqlDialect Sqlite = new SqliteDialect();
    public static readonly SqlDialect Postgres = new PostgresDialect();

    /// <summary>Column type of instants (bound as UTC <see cref="DateTimeOffset"/>).</summary>
    public abstract string TimestampType { get; }

    /// <summary>True if the exception is a unique / primary-key violation.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>Opens the migration transaction, excluding other migrators (other processes included) until it ends.</summary>
    public abstract Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    private sealed class SqliteDialect : SqlDialect
    {
        public override string TimestampType => "TEXT";

        // SQLITE_CONSTRAINT_PRIMARYKEY = 1555, SQLITE_CONSTRAINT_UNIQUE = 2067.
        public override bool IsUniqueViolation(Exception exception) =>
            exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 1555 or 2067 };

        public override Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            // Not deferred = BEGIN IMMEDIATE: takes the database write lock now (waits busy_timeout for another process).
            return Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));
        }
    }

    private sealed class PostgresDialect : SqlDialect
    {
        // "hotline schema" as a 64-bit advisory lock key.
        private const long MigrationLockKey = 0x486F746C696E6531;

        public override string TimestampType => "TIMESTAMPTZ";

        public override bool IsUniqueViolation(Exception exception) =>
            exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

        public override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT pg_advisory_xact_lock(@key)";
            command.AddParameter("key", MigrationLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return transaction;
        }
    }
}

internal static class DbCommandExtensions
{
    public static DbCommand AddParameter(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        // The SQL says @name. Microsoft.Data.Sqlite binds by the exact name first; a bare "name" missed, and it then tried
        // "@name", ":name" and "$name" (each a new string and a UTF-8 copy) on every execution of every parameter.
        parameter.ParameterName = command is SqliteCommand && name.Length > 0 && name[0] is not ('@' or ':' or '$') ? "@" + name : name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }

    public static DbCommand Command(this DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }
}
