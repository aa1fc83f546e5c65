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
