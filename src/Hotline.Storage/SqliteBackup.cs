using Microsoft.Data.Sqlite;

namespace Hotline.Storage;

/// <summary>What a backup or restore copied: the schema version and the row counts, for the operator's log.</summary>
/// <param name="File">The database file written.</param>
/// <param name="SchemaVersion">The schema version recorded in it.</param>
/// <param name="GrainStates">Rows of <c>grain_state</c> (consultations, queue/router, lawyers, workers, roster, statistics).</param>
/// <param name="Messages">Rows of <c>messages</c>.</param>
public sealed record SqliteBackupResult(string File, long SchemaVersion, long GrainStates, long Messages);

/// <summary>
/// Online backup and restore of the embedded SQLite store with SQLite's backup API (<c>sqlite3_backup_*</c>): the copy
/// is one consistent snapshot taken under a read transaction, so the silo may keep writing while it runs (WAL readers
/// do not block the writer). Every acknowledged write committed before the snapshot is in the copy.
/// </summary>
public static class SqliteBackup
{
    /// <summary>Copies <paramref name="sourceFile"/> (a live database) to <paramref name="destinationFile"/>, checked with <c>PRAGMA integrity_check</c>.</summary>
    /// <exception cref="FileNotFoundException">The source database does not exist.</exception>
    /// <exception cref="InvalidDataException">The copy failed its integrity check or holds no hotline schema.</exception>
    public static async Task<SqliteBackupResult> BackupAsync(string sourceFile, string destinationFile, CancellationToken cancellationToken = default)
    {
        sourceFile = Path.GetFullPath(sourceFile);
        if (!File.Exists(sourceFile)) throw new FileNotFoundException("no hotline database here", sourceFile);
        return await CopyAsync(sourceFile, Path.GetFullPath(destinationFile), cancellationToken);
    }

    /// <summary>
    /// Restores a backup into a fresh data folder as <paramref name="fileName"/>. Refuses to overwrite an existing
    /// database: restoring over a live store would mix two histories.
    /// </summary>
    /// <exception cref="IOException">The data folder already holds a database.</exception>
    public static async Task<SqliteBackupResult> RestoreAsync(string backupFile, string dataPath, string fileName = "hotline.db", CancellationToken cancellationToken = default)
    {
        backupFile = Path.GetFullPath(backupFile);
        if (!File.Exists(backupFile)) throw new FileNotFoundException("no backup here", backupFile);
        var target = Path.Combine(Path.GetFullPath(dataPath), fileName);
        if (File.Exists(target)) throw new IOException($"{target} exists: restore into a fresh data folder");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        return await CopyAsync(backupFile, target, cancellationToken);
    }

    private static async Task<SqliteBackupResult> CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        // Written beside the target and moved into place, so a failed copy never leaves a half file under the real name.
        var partial = destination + ".partial";
        File.Delete(partial);
        try
        {
            await using (var from = await OpenAsync(source, SqliteOpenMode.ReadWrite, cancellationToken))
            await using (var to = await OpenAsync(partial, SqliteOpenMode.ReadWriteCreate, cancellationToken))
            {
                // One step over all pages under one read transaction: a consistent snapshot even while the silo writes.
                from.BackupDatabase(to);
            }
            var result = await VerifyAsync(partial, cancellationToken);
            File.Move(partial, destination, overwrite: true);
            return result with { File = destination };
        }
        finally
        {
            foreach (var leftover in new[] { partial, partial + "-wal", partial + "-shm" })
                File.Delete(leftover);
        }
    }

    private static async Task<SqliteBackupResult> VerifyAsync(string file, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(file, SqliteOpenMode.ReadWrite, cancellationToken);
        var check = (string?)await Scalar(connection, "PRAGMA integrity_check", cancellationToken);
        if (!string.Equals(check, "ok", StringComparison.Ordinal)) throw new InvalidDataException($"integrity check of the copy failed: {check}");
        // Checkpoint into the main file, so the single file is the whole backup.
        await Scalar(connection, "PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken);
        try
        {
            return new SqliteBackupResult(file,
                Convert.ToInt64(await Scalar(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_version", cancellationToken)),
                Convert.ToInt64(await Scalar(connection, "SELECT COUNT(*) FROM grain_state", cancellationToken)),
                Convert.ToInt64(await Scalar(connection, "SELECT COUNT(*) FROM messages", cancellationToken)));
        }
        catch (SqliteException e)
        {
            throw new InvalidDataException("not a hotline database: " + e.Message, e);
        }
    }

    private static async Task<SqliteConnection> OpenAsync(string file, SqliteOpenMode mode, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = mode, Pooling = false, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync(cancellationToken);
        await Scalar(connection, "PRAGMA busy_timeout = 10000", cancellationToken);
        return connection;
    }

    private static async Task<object?> Scalar(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
