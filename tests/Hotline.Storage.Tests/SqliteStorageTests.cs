namespace Hotline.Storage.Tests;

public sealed class SqliteStorageTests : StorageContractTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hotline-sqlite-" + Guid.NewGuid().ToString("N")[..12]);
    private int _databases;

    protected override Task<HotlineStorageOptions> NewDatabaseAsync() =>
        Task.FromResult(HotlineStorageOptions.ForSqlite(Path.Combine(_root, $"db{Interlocked.Increment(ref _databases)}", "data")));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Sqlite_file_is_created_in_the_data_folder_in_wal_mode_with_full_sync()
    {
        await Database.EnsureSchemaAsync();
        Assert.True(File.Exists(Path.Combine(Options.DataPath, "hotline.db")));
        await using var connection = await Database.OpenConnectionAsync();
        await using var journal = connection.CreateCommand();
        journal.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await journal.ExecuteScalarAsync());
        await using var sync = connection.CreateCommand();
        sync.CommandText = "PRAGMA synchronous";
        Assert.Equal(2L, (long)(await sync.ExecuteScalarAsync())!); // FULL
    }
}
