using System.Text.Json;

namespace Hotline.Storage;

/// <summary>Which database engine backs the hotline's storage.</summary>
public enum HotlineStorageProvider
{
    /// <summary>Embedded SQLite file (single silo / development). Default.</summary>
    Sqlite,
    /// <summary>PostgreSQL (cluster).</summary>
    Postgres,
}

/// <summary>SQLite <c>PRAGMA synchronous</c> levels the hotline allows.</summary>
public enum SqliteSynchronous
{
    /// <summary>fsync the WAL at every commit: durable against process and OS crashes / power loss.</summary>
    Full,
    /// <summary>WAL synced only at checkpoints: durable against process crashes (kill -9), not OS crash / power loss.</summary>
    Normal,
}

/// <summary>Options of <see cref="HotlineDatabase"/>, the grain storage and the message store.</summary>
public sealed class HotlineStorageOptions
{
    /// <summary>Name of the grain storage provider registered besides the default one.</summary>
    public const string ProviderName = "hotline";

    /// <summary>SQLite or PostgreSQL.</summary>
    public HotlineStorageProvider Provider { get; set; } = HotlineStorageProvider.Sqlite;

    /// <summary>
    /// PostgreSQL: the Npgsql connection string (required).
    /// SQLite: optional; when set, used as is (a <c>Data Source=...</c> string) instead of <see cref="DataPath"/>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>SQLite: the data folder (created if missing). Default <c>./data</c>.</summary>
    public string DataPath { get; set; } = "./data";

    /// <summary>SQLite: the database file name inside <see cref="DataPath"/>. Default <c>hotline.db</c>.</summary>
    public string SqliteFileName { get; set; } = "hotline.db";

    /// <summary>SQLite: how long a connection waits for a lock held by another connection/process (PRAGMA busy_timeout).</summary>
    public TimeSpan SqliteBusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// SQLite: serialise writes of this process with one semaphore per database file (default, measured faster and
    /// without SQLITE_BUSY storms); busy_timeout still covers other processes. Set false to rely on busy_timeout only.
    /// </summary>
    public bool SerializeSqliteWrites { get; set; } = true;

    /// <summary>
    /// SQLite: group commit (default). Writes (message appends, grain state writes/clears) are queued to one writer
    /// per database that runs everything queued, up to <see cref="SqliteMaxBatch"/> ops, in one transaction (one WAL
    /// fsync for the batch) and acknowledges each op after the COMMIT. False: the old path, one transaction per write.
    /// </summary>
    public bool SqliteGroupCommit { get; set; } = true;

    /// <summary>SQLite group commit: the most writes in one transaction. Default 256.</summary>
    public int SqliteMaxBatch { get; set; } = 256;

    /// <summary>
    /// SQLite group commit: zero or negative (default) keeps SQLite's automatic checkpoint, run inside the COMMIT that
    /// crosses <see cref="SqliteAutoCheckpointPages"/> WAL pages. Positive: a background connection checkpoints the WAL this often (PASSIVE, never blocks
    /// the writer) and the writer checkpoints itself only as a backstop, past <see cref="SqliteWalBackstopPages"/>.
    /// Measured (docs/perf-message-path.md, third round): the background checkpoint's fsync then overlaps the commits'
    /// fsyncs and the append tail got worse, not better, so it is off by default.
    /// </summary>
    public TimeSpan SqliteCheckpointInterval { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// SQLite group commit without background checkpoints: the writer's <c>wal_autocheckpoint</c> (pages), the WAL size
    /// past which the COMMIT that crosses it checkpoints. Default 10000 (about 40 MB of WAL at 4 KB pages), where SQLite's
    /// own default is 1000. A checkpoint copies each page changed since the last one once, and the appends rewrite the
    /// same few leaf pages (each active consultation's) over and over, so checkpointing ten times less often copies
    /// far fewer pages per message (docs/perf-message-path.md, twelfth session). Values below 1000 are raised to 1000 (the
    /// silo refuses them, and any above 100,000, at start). After erases the store checkpoints at once
    /// (<see cref="HotlineDatabase.CheckpointAndTruncateAsync"/>), so a larger WAL keeps no erased text longer.
    /// </summary>
    public int SqliteAutoCheckpointPages { get; set; } = 10_000;

    /// <summary>
    /// SQLite group commit with background checkpoints: the writer's own <c>wal_autocheckpoint</c> (pages), reached
    /// only if the background checkpoints fall behind, so the WAL stays bounded. Default 16384 (64 MB at 4 KB pages).
    /// </summary>
    public int SqliteWalBackstopPages { get; set; } = 16384;

    /// <summary>
    /// SQLite <c>PRAGMA synchronous</c>. <see cref="SqliteSynchronous.Full"/> (default): every commit fsyncs the WAL,
    /// an acknowledged write survives kill -9 and power loss. <see cref="SqliteSynchronous.Normal"/> (WAL): survives
    /// kill -9 of the process, but an OS crash or power loss can lose the last commits.
    /// </summary>
    public SqliteSynchronous SqliteSynchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>PostgreSQL: total time budget of one storage call, retries included. Beyond it: <see cref="StorageUnavailableException"/>.</summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>PostgreSQL: first retry delay (exponential backoff with jitter from there).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>PostgreSQL: the longest delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>PostgreSQL: the most retries of one call (the budget usually ends it first).</summary>
    public int MaxRetryAttempts { get; set; } = 100;

    /// <summary>JSON options of grain state payloads; default <see cref="HotlineJson.Options"/>.</summary>
    public JsonSerializerOptions? JsonOptions { get; set; }

    /// <summary>A copy with defaults for a SQLite database in <paramref name="dataPath"/>.</summary>
    public static HotlineStorageOptions ForSqlite(string dataPath) => new() { Provider = HotlineStorageProvider.Sqlite, DataPath = dataPath };

    /// <summary>Options for PostgreSQL with the given connection string.</summary>
    public static HotlineStorageOptions ForPostgres(string connectionString) => new() { Provider = HotlineStorageProvider.Postgres, ConnectionString = connectionString };
}
