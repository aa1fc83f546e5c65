using System.Collections.Concurrent;
using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Hotline.Storage;

/// <summary>
/// One hotline database (SQLite file or PostgreSQL database): opens connections, applies the schema migrations,
/// group-commits SQLite writes (<see cref="SqliteGroupCommit"/>), and runs PostgreSQL calls through a retry pipeline. Thread-safe; one per process.
/// </summary>
/// <remarks>
/// SQLite durability: WAL journal with <c>synchronous=FULL</c>. In WAL mode NORMAL already survives a kill -9 of the
/// process (the WAL is in the OS page cache), but not a power loss or kernel crash, which can roll back the last
/// commits. An acknowledged chat message must never be lost, so every commit fsyncs the WAL (FULL, the default of
/// <see cref="HotlineStorageOptions.SqliteSynchronous"/>). Group commit makes that one fsync per batch of writes
/// instead of one per write.
/// </remarks>
public sealed class HotlineDatabase : IAsyncDisposable, IDisposable
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> SqliteWriteLocks = new(StringComparer.Ordinal);

    private readonly HotlineStorageOptions _options;
    private readonly ILogger _logger;
    private readonly string? _sqliteConnectionString;
    private readonly SemaphoreSlim? _sqliteWriteLock;
    private readonly SqliteGroupCommit? _groupCommit;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly ResiliencePipeline _pipeline = ResiliencePipeline.Empty;
    private readonly object _schemaGate = new();
    private Task? _schemaTask;

    /// <summary>Creates the database access object (does not connect; see <see cref="EnsureSchemaAsync"/>).</summary>
    public HotlineDatabase(HotlineStorageOptions options, ILogger<HotlineDatabase>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Time = timeProvider ?? TimeProvider.System;
        JsonOptions = options.JsonOptions ?? HotlineJson.Options;
        Provider = options.Provider;
        switch (options.Provider)
        {
            case HotlineStorageProvider.Sqlite:
                Dialect = SqlDialect.Sqlite;
                var builder = string.IsNullOrWhiteSpace(options.ConnectionString)
                    ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.DataPath, options.SqliteFileName) }
                    : new SqliteConnectionStringBuilder(options.ConnectionString);
                var file = Path.GetFullPath(builder.DataSource);
                CreatePrivate(file);
                builder.DataSource = file;
                builder.Mode = SqliteOpenMode.ReadWriteCreate;
                builder.Pooling = true;
                builder.DefaultTimeout = Math.Max(30, (int)Math.Ceiling(options.SqliteBusyTimeout.TotalSeconds) + 5);
                _sqliteConnectionString = builder.ToString();
                _sqliteWriteLock = options.SerializeSqliteWrites ? SqliteWriteLocks.GetOrAdd(file, _ => new SemaphoreSlim(1, 1)) : null;
                Description = $"SQLite {file}";
                if (options.SqliteGroupCommit)
                    _groupCommit = new SqliteGroupCommit(OpenConnectionAsync, _sqliteWriteLock, options.SqliteMaxBatch, _logger, Description,
                        options.SqliteCheckpointInterval, options.SqliteWalBackstopPages, options.SqliteAutoCheckpointPages);
                break;
            case HotlineStorageProvider.Postgres:
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                    throw new ArgumentException("PostgreSQL needs HotlineStorageOptions.ConnectionString.", nameof(options));
                Dialect = SqlDialect.Postgres;
                _dataSource = NpgsqlDataSource.Create(options.ConnectionString);
                _pipeline = BuildPipeline(options, _logger);
                var csb = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                Description = $"PostgreSQL {csb.Host}:{csb.Port}/{csb.Database}";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "Unknown storage provider.");
        }
    }

    /// <summary>SQLite or PostgreSQL.</summary>
    public HotlineStorageProvider Provider { get; }

    /// <summary>Human-readable target (file or host/database), for logs.</summary>
    public string Description { get; }

    /// <summary>The JSON options of grain state payloads.</summary>
    public System.Text.Json.JsonSerializerOptions JsonOptions { get; }

    /// <summary>The schema version this build migrates to.</summary>
    public static int LatestSchemaVersion => Migrations.LatestVersion;

    internal SqlDialect Dialect { get; }

    /// <summary>Test hook (PostgreSQL): an exception to throw after a unit of work succeeded, as if its ack were lost.</summary>
    internal Func<Exception?>? FaultAfterCommit { get; set; }
    internal TimeProvider Time { get; }

    /// <summary>The SQLite group-commit writer (null: PostgreSQL, or group commit off).</summary>
    internal SqliteGroupCommit? GroupCommit => _groupCommit;

    /// <summary>Tests: holds this file's in-process write lock, so queued group-commit writes wait and form one batch.</summary>
    internal async Task<IDisposable> HoldSqliteWriteLockAsync()
    {
        var gate = _sqliteWriteLock ?? throw new InvalidOperationException("SerializeSqliteWrites is off.");
        await gate.WaitAsync();
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;
        public void Dispose() { if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release(); }
    }

    /// <summary>
    /// Opens a raw connection (SQLite: pragmas set; PostgreSQL: from the pooled data source). No retry, no write lock:
    /// for tools and tests; the stores use the guarded paths.
    /// </summary>
    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        if (_dataSource is not null)
            return await _dataSource.OpenConnectionAsync(cancellationToken);

        var connection = new SqliteConnection(_sqliteConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragma = connection.Command(
                $"PRAGMA busy_timeout = {(long)_options.SqliteBusyTimeout.TotalMilliseconds}; PRAGMA synchronous = {(_options.SqliteSynchronous == SqliteSynchronous.Normal ? "NORMAL" : "FULL")}; PRAGMA secure_delete = ON;");
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// SQLite: copies every WAL frame into the database and truncates the WAL (<c>wal_checkpoint(TRUNCATE)</c>), waiting
    /// up to a second for the writer and for readers on older snapshots. The writer checkpoints only every
    /// <see cref="HotlineStorageOptions.SqliteAutoCheckpointPages"/> pages, so after an erase the overwritten text would
    /// otherwise stay in the database file (and the old frames in the WAL) until then. Returns false if a reader kept it
    /// from finishing. PostgreSQL: nothing to do, true.
    /// </summary>
    public async Task<bool> CheckpointAndTruncateAsync(CancellationToken cancellationToken = default)
    {
        if (Provider != HotlineStorageProvider.Sqlite) return true;
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        // While it waits for readers on older snapshots, new writes wait too: wait at most a second, not the busy timeout
        // (the next open of this pooled connection sets the busy timeout again).
        await using (var wait = connection.Command("PRAGMA busy_timeout = 1000")) await wait.ExecuteNonQueryAsync(cancellationToken);
        await using var checkpoint = connection.Command("PRAGMA wal_checkpoint(TRUNCATE)");
        // Microsoft.Data.Sqlite retries a busy statement until its command timeout: a few seconds, not the default 30+.
        checkpoint.CommandTimeout = 5;
        await using var reader = await checkpoint.ExecuteReaderAsync(cancellationToken);
        // One row: busy (1 if it could not finish), frames in the WAL, frames checkpointed.
        return await reader.ReadAsync(cancellationToken) && reader.GetInt64(0) == 0;
    }

    /// <summary>Applies pending migrations once per instance (re-tried on the next call if it failed). Idempotent.</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        // Every storage call passes here: once migrated, no lock and no wait wrapper.
        if (Volatile.Read(ref _schemaTask) is { IsCompletedSuccessfully: true } done) return done;
        lock (_schemaGate)
        {
            if (_schemaTask is null || _schemaTask.IsFaulted || _schemaTask.IsCanceled)
                _schemaTask = MigrateAsync(CancellationToken.None);
            return _schemaTask.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Creates the database file readable by its owner only (0600, folder 0700) before SQLite opens it; SQLite gives its
    /// -wal and -shm files the same mode. Erased texts are overwritten on disk (<c>secure_delete</c>).
    /// </summary>
    private static void CreatePrivate(string file)
    {
        var folder = Path.GetDirectoryName(file)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }
        if (!Directory.Exists(folder)) Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (!File.Exists(file))
        {
            try
            {
                using var _ = new FileStream(file, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process created it first.
            }
        }
    }

    /// <summary>
    /// Applies the pending migrations in order, in one transaction, excluding concurrent migrators (SQLite: BEGIN
    /// IMMEDIATE; PostgreSQL: pg_advisory_xact_lock). Returns how many were applied (0 when up to date).
    /// </summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        if (Provider == HotlineStorageProvider.Sqlite)
        {
            // WAL is a property of the file: set once, before any transaction.
            await using var connection = await OpenConnectionAsync(cancellationToken);
            await using (var wal = connection.Command("PRAGMA journal_mode = WAL"))
            {
                var mode = (string?)await wal.ExecuteScalarAsync(cancellationToken);
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"SQLite refused WAL journal mode (got '{mode}') for {Description}.");
            }
            var applied = await WithSqliteWriteLock(() => Migrations.ApplyAsync(connection, Dialect, Time, cancellationToken), cancellationToken);
            Log(applied);
            return applied;
        }

        var count = await RunPostgresAsync(async (connection, ct) => await Migrations.ApplyAsync(connection, Dialect, Time, ct), cancellationToken);
        Log(count);
        return count;

        void Log(int n)
        {
            if (n > 0) _logger.LogInformation("Hotline storage: applied {Count} migration(s) to {Target}, schema version {Version}", n, Description, LatestSchemaVersion);
            else _logger.LogDebug("Hotline storage: {Target} is at schema version {Version}", Description, LatestSchemaVersion);
        }
    }

    /// <summary>The schema version recorded in the database (0 if none).</summary>
    public Task<long> GetSchemaVersionAsync(CancellationToken cancellationToken = default) =>
        RunAsync(async (connection, ct) =>
        {
            await using var command = connection.Command("SELECT COALESCE(MAX(version), 0) FROM schema_version");
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
        }, write: false, cancellationToken, ensureSchema: false);

    /// <summary>
    /// Runs one unit of work on a fresh connection: after the schema is ensured, under the SQLite write lock when
    /// <paramref name="write"/>, and through the PostgreSQL retry pipeline (each attempt on a new connection, so
    /// the work must be safe to repeat).
    /// </summary>
    internal async Task<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, bool write, CancellationToken cancellationToken, bool ensureSchema = true,
        bool singleStatement = false)
    {
        if (ensureSchema)
        {
            try
            {
                await EnsureSchemaAsync(cancellationToken);
            }
            catch (SqliteException ex) when (IsSqliteBusy(ex))
            {
                throw new StorageUnavailableException($"{Description} is locked.", ex);
            }
        }

        if (_dataSource is not null)
            return await RunPostgresAsync(work, cancellationToken);

        try
        {
            if (!write)
            {
                await using var connection = await OpenConnectionAsync(cancellationToken);
                return await work(connection, cancellationToken);
            }
            if (_groupCommit is not null)
                return await _groupCommit.EnqueueAsync(work, cancellationToken, singleStatement);
            return await WithSqliteWriteLock(async () =>
            {
                await using var connection = await OpenConnectionAsync(cancellationToken);
                return await work(connection, cancellationToken);
            }, cancellationToken);
        }
        catch (SqliteException ex) when (IsSqliteBusy(ex))
        {
            throw new StorageUnavailableException($"{Description} stayed locked beyond busy_timeout.", ex);
        }
    }

    private async Task<T> WithSqliteWriteLock<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        if (_sqliteWriteLock is null) return await work();
        await _sqliteWriteLock.WaitAsync(cancellationToken);
        try
        {
            return await work();
        }
        finally
        {
            _sqliteWriteLock.Release();
        }
    }

    private async Task<T> RunPostgresAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(async ct =>
            {
                await using var connection = await _dataSource!.OpenConnectionAsync(ct);
                var result = await work(connection, ct);
                if (FaultAfterCommit?.Invoke() is { } fault) throw fault; // tests: "connection lost after the commit"
                return result;
            }, cancellationToken);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new StorageUnavailableException($"{Description} did not answer within {_options.RetryBudget}.", ex);
        }
        catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw new StorageUnavailableException($"{Description} is unavailable (retries exhausted).", ex);
        }
    }

    private static ResiliencePipeline BuildPipeline(HotlineStorageOptions options, ILogger logger) =>
        new ResiliencePipelineBuilder()
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.RetryBudget })
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && IsTransient(ex) && !args.Context.CancellationToken.IsCancellationRequested),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                MaxRetryAttempts = options.MaxRetryAttempts,
                OnRetry = args =>
                {
                    logger.LogWarning("Hotline storage: transient PostgreSQL error ({Error}); retry {Attempt} in {Delay} ms",
                        args.Outcome.Exception?.Message, args.AttemptNumber + 1, (int)args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>
    /// True for PostgreSQL errors worth retrying: Npgsql's own transient verdict (I/O, socket, timeouts, resource
    /// and serialisation errors), connection exceptions (class 08), operator intervention (57P01 admin_shutdown,
    /// 57P02 crash_shutdown, 57P03 cannot_connect_now), too many connections, and sockets refused/reset.
    /// </summary>
    internal static bool IsTransient(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case PostgresException pg:
                    return pg.IsTransient
                        || pg.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
                            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;
                case NpgsqlException npgsql when npgsql.IsTransient:
                case SocketException:
                case IOException:
                case TimeoutException:
                    return true;
            }
        }
        return false;
    }

    private static bool IsSqliteBusy(SqliteException ex) => ex.SqliteErrorCode is 5 or 6; // SQLITE_BUSY, SQLITE_LOCKED

    /// <summary>Instants are stored in UTC with microsecond precision (PostgreSQL's), the same on both engines.</summary>
    internal static DateTimeOffset Normalize(DateTimeOffset value) => Hotline.Abstractions.StoredMessage.StoredInstant(value);

    internal static DateTimeOffset ReadInstant(DbDataReader reader, int ordinal) =>
        reader.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();

    /// <summary>Releases the PostgreSQL data source (SQLite pools are process-wide; they are cleared for this file).</summary>
    /// <remarks>SQLite group commit: stops taking writes, commits the queued ones, then closes the writer connection.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null) await _dataSource.DisposeAsync();
        else
        {
            if (_groupCommit is not null) await _groupCommit.DisposeAsync();
            ClearSqlitePool();
        }
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose()
    {
        if (_dataSource is not null) _dataSource.Dispose();
        else
        {
            _groupCommit?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            ClearSqlitePool();
        }
    }

    private void ClearSqlitePool()
    {
        using var connection = new SqliteConnection(_sqliteConnectionString);
        SqliteConnection.ClearPool(connection);
    }
}
