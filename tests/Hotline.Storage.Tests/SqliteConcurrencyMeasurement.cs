namespace Hotline.Storage.Tests;

/// <summary>
/// Measures SQLite writes from many concurrent "grains" with the in-process write semaphore and with busy_timeout
/// only; both must store everything. Timings go to the test output (dotnet test --logger "console;verbosity=detailed").
/// </summary>
public sealed class SqliteConcurrencyMeasurement(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hotline-sqlite-bench-" + Guid.NewGuid().ToString("N")[..12]);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Many_concurrent_writers(bool serialize)
    {
        const int writers = 16, perWriter = 40;
        var options = HotlineStorageOptions.ForSqlite(Path.Combine(_root, serialize ? "lock" : "busy"));
        options.SerializeSqliteWrites = serialize;
        await using var database = new HotlineDatabase(options);
        var store = new SqlMessageStore(database);
        await database.EnsureSchemaAsync();

        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var seq = 1; seq <= perWriter; seq++)
            {
                var one = Stopwatch.StartNew();
                await store.AppendAsync(new StoredMessage($"c{w}", seq, ParticipantRole.Worker, "w", "W", "hello", DateTimeOffset.UtcNow, $"m{seq}"));
                lock (latencies) latencies.Add(one.Elapsed.TotalMilliseconds);
            }
        })));
        clock.Stop();

        latencies.Sort();
        output.WriteLine($"serialize={serialize}: {writers * perWriter} appends in {clock.ElapsedMilliseconds} ms " +
                         $"({writers * perWriter / clock.Elapsed.TotalSeconds:F0}/s), p50 {latencies[latencies.Count / 2]:F1} ms, " +
                         $"p99 {latencies[(int)(latencies.Count * 0.99)]:F1} ms, max {latencies[^1]:F1} ms");
        for (var w = 0; w < writers; w++)
            Assert.Equal(perWriter, await store.GetLastSeqAsync($"c{w}"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
