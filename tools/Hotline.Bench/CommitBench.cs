using System.Diagnostics;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Storage;
using Microsoft.Data.Sqlite;

namespace Hotline.Bench;

/// <summary>
/// The durable message append alone (<see cref="SqlMessageStore"/> on SQLite, group commit, synchronous=FULL), open loop:
/// <c>writers</c> consultations each appending Poisson at <c>rate</c>/s, as the latency scenario's 20 pairs x 20 msg/s
/// do. Compares the two checkpoint designs in one process, interleaved and repeated: WAL checkpoint inside the COMMIT
/// (SQLite's auto-checkpoint, the default) or in the background (<c>Hotline:Storage:SqliteCheckpointMs</c>). The writer
/// loop on its own thread, measured in the third round, was removed after it lost (docs/perf-message-path.md).
/// </summary>
public static class CommitBench
{
    private sealed record Config(string Name, bool BackgroundCheckpoint);

    private static readonly Config[] Configs =
    [
        new("checkpoint in COMMIT (default)", false),
        new("background checkpoint", true),
    ];

    public static async Task Run(int writers, double rate, double seconds, int rounds)
    {
        Console.WriteLine($"commit: {writers} writers x {rate}/s Poisson = {writers * rate} appends/s, {seconds} s measured after 2 s warm-up, {rounds} rounds, configurations interleaved");
        var all = Configs.ToDictionary(c => c.Name, _ => new List<double[]>());
        for (var round = 0; round < rounds; round++)
            foreach (var config in Configs)
            {
                var r = await Once(config, writers, rate, seconds, 12351 + round);
                all[config.Name].Add(r);
                Console.WriteLine($"  round {round + 1} {config.Name,-42} n {r[0],6:F0}  p50 {r[1],6:F3}  p99 {r[2],7:F3}  p99.9 {r[3],7:F3}  max {r[4],7:F3} ms  batches {r[5],6:F0}  load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            }
        Console.WriteLine();
        Console.WriteLine("| configuration | p50 ms (median of rounds) | p99 ms | p99.9 ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var config in Configs)
        {
            double Med(int i) => all[config.Name].Select(r => r[i]).OrderBy(x => x).ElementAt(rounds / 2);
            Console.WriteLine($"| {config.Name} | {Med(1):F3} | {Med(2):F3} | {Med(3):F3} |");
        }
    }

    private static async Task<double[]> Once(Config config, int writers, double rate, double seconds, int seed)
    {
        var dir = Directory.CreateTempSubdirectory("hotline-commitbench-").FullName;
        try
        {
            var options = HotlineStorageOptions.ForSqlite(dir);
            options.SqliteCheckpointInterval = config.BackgroundCheckpoint ? TimeSpan.FromSeconds(1) : TimeSpan.Zero;
            await using var database = new HotlineDatabase(options);
            await database.EnsureSchemaAsync();
            var store = new SqlMessageStore(database);
            var samples = new List<double>[writers];
            var start = Stopwatch.GetTimestamp();
            var warm = Stopwatch.Frequency * 2;
            var until = start + warm + (long)(seconds * Stopwatch.Frequency);
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                var random = new Random(seed * 100 + w);
                var mine = samples[w] = new List<double>();
                var pending = new List<Task>();
                long seq = 0;
                var next = Stopwatch.GetTimestamp();
                while (true)
                {
                    next += (long)(-Math.Log(1 - random.NextDouble()) / rate * Stopwatch.Frequency);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait);
                    if (Stopwatch.GetTimestamp() >= until) break;
                    var s = ++seq;
                    var sent = Stopwatch.GetTimestamp();
                    var message = new StoredMessage($"c{w}", s, ParticipantRole.Worker, $"w{w}", "Worker", "hello " + s, DateTimeOffset.UtcNow, $"m{s}");
                    pending.Add(store.AppendAsync(message).ContinueWith(_ =>
                    {
                        var done = Stopwatch.GetTimestamp();
                        if (sent - start >= warm) lock (mine) mine.Add(Stopwatch.GetElapsedTime(sent, done).TotalMilliseconds);
                    }, TaskContinuationOptions.ExecuteSynchronously));
                }
                await Task.WhenAll(pending);
            })));
            var batches = database.GroupCommit!.Batches;
            var all = samples.SelectMany(x => x).OrderBy(x => x).ToArray();
            double P(double q) => all[Math.Min(all.Length - 1, (int)(q * all.Length))];
            return [all.Length, P(0.5), P(0.99), P(0.999), all[^1], batches];
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
