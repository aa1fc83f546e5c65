namespace Hotline.Storage.Tests;

/// <summary>
/// Micro-benchmark: the old per-op SQLite write path (one transaction + fsync per append, serialised by the file
/// semaphore) against group commit, same run, same machine, alternating rounds. Figures go to the test output:
/// <c>dotnet test tests/Hotline.Storage.Tests -c Release --filter Category=Benchmark --logger "console;verbosity=detailed"</c>.
/// HOTLINE_BENCH_WRITERS / HOTLINE_BENCH_APPENDS / HOTLINE_BENCH_ROUNDS override 64 x 50, 2 rounds.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class SqliteGroupCommitBenchmark(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hotline-gc-bench-" + Guid.NewGuid().ToString("N")[..12]);

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    [Fact]
    public async Task Per_op_commit_vs_group_commit()
    {
        int writers = Env("HOTLINE_BENCH_WRITERS", 64), perWriter = Env("HOTLINE_BENCH_APPENDS", 50), rounds = Env("HOTLINE_BENCH_ROUNDS", 2);
        var results = new List<(bool Group, Result R)>();
        for (var round = 0; round < rounds; round++)
            foreach (var group in new[] { false, true })
            {
                var r = await RunAsync(group, writers, perWriter, $"r{round}-{(group ? "group" : "perop")}");
                results.Add((group, r));
                output.WriteLine($"round {round + 1} {(group ? "group commit" : "per-op     ")}: {r}");
            }

        Result Total(bool group)
        {
            var rs = results.Where(x => x.Group == group).Select(x => x.R).ToList();
            var all = rs.SelectMany(x => x.Latencies).Order().ToArray();
            return new Result(rs.Sum(x => x.Count), TimeSpan.FromTicks(rs.Sum(x => x.Elapsed.Ticks)), all, rs.Sum(x => x.Batches));
        }
        var perOp = Total(false);
        var grouped = Total(true);
        output.WriteLine($"TOTAL per-op      : {perOp}");
        output.WriteLine($"TOTAL group commit: {grouped}");
        output.WriteLine($"RATIO group/per-op: throughput x{grouped.PerSecond / perOp.PerSecond:F1}, " +
                         $"p50 x{perOp.P(0.50) / grouped.P(0.50):F1} lower, p99 x{perOp.P(0.99) / grouped.P(0.99):F1} lower");
    }

    private async Task<Result> RunAsync(bool groupCommit, int writers, int perWriter, string name)
    {
        var options = HotlineStorageOptions.ForSqlite(Path.Combine(_root, name));
        options.SqliteGroupCommit = groupCommit;
        await using var database = new HotlineDatabase(options);
        var store = new SqlMessageStore(database);
        await database.EnsureSchemaAsync();

        var latencies = new double[writers * perWriter];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var seq = 1; seq <= perWriter; seq++)
            {
                var start = Stopwatch.GetTimestamp();
                await store.AppendAsync(new StoredMessage($"c{w}", seq, ParticipantRole.Worker, "w", "W", "hello", DateTimeOffset.UtcNow, $"m{seq}"));
                latencies[w * perWriter + seq - 1] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        })));
        clock.Stop();
        var batches = database.GroupCommit?.Batches ?? writers * perWriter;

        for (var w = 0; w < writers; w++)
            Assert.Equal(perWriter, await store.GetLastSeqAsync($"c{w}"));
        Array.Sort(latencies);
        return new Result(latencies.Length, clock.Elapsed, latencies, batches);
    }

    private sealed record Result(int Count, TimeSpan Elapsed, double[] Latencies, long Batches)
    {
        public double PerSecond => Count / Elapsed.TotalSeconds;
        public double P(double q) => Latencies[Math.Min(Latencies.Length - 1, (int)(Latencies.Length * q))];
        public override string ToString() =>
            $"{Count} appends in {Elapsed.TotalMilliseconds:F0} ms = {PerSecond:F0}/s, p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms, " +
            $"max {Latencies[^1]:F1} ms, {Batches} commits (avg {(double)Count / Batches:F1} ops/commit)";
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
