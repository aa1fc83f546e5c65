using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Hotline.Domain;
using Hotline.Grains;
using Hotline.Storage;

namespace Hotline.Bench;

/// <summary>
/// Router persistence: bytes written per routing command, journal (<see cref="RouterLog"/> on the real
/// <see cref="SqlRouterJournal"/>, SQLite) at a short and a long queue, against the whole-state write of the router before
/// the journal (one <c>RouterState</c> JSON per group commit), in the same run. Also the engine's decisions per second at
/// that scale (no persistence). 2,000 lawyers of capacity 1, all busy; W consultations waiting; then cycles of
/// release (a lawyer frees, the head of the queue is offered), accept, and a new arrival, so the queue stays at W.
/// Every command is its own batch (the router's worst case: no group commit).
/// </summary>
public static class RouterJournalBench
{
    private const int LawyerCount = 2000;

    public static async Task Run(int[] waitingSizes, int cycles)
    {
        Console.WriteLine($"## Router persistence: bytes per routing command ({DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        Console.WriteLine($"{LawyerCount:N0} lawyers (capacity 1, all busy), W waiting, {cycles:N0} cycles of release + accept + arrival (3 commands, each its own batch), SQLite synchronous=NORMAL (bytes do not depend on it).");
        Console.WriteLine();
        Console.WriteLine("| waiting | commands | journal bytes/command (incl. snapshots) | snapshots | whole-state bytes/commit (before) | ratio before/after | engine decisions/s (no persistence) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var waiting in waitingSizes)
        {
            var row = await Measure(waiting, cycles);
            Console.WriteLine($"| {waiting:N0} | {row.Commands:N0} | {row.BytesPerCommand:N0} | {row.Snapshots} | {row.WholeState:N0} | {row.WholeState / row.BytesPerCommand:N0}x | {row.DecisionsPerSecond:N0} |");
        }
    }

    private sealed record Row(long Commands, double BytesPerCommand, int Snapshots, long WholeState, double DecisionsPerSecond);

    private static async Task<Row> Measure(int waiting, int cycles)
    {
        var dir = Directory.CreateTempSubdirectory("hotline-bench-journal-").FullName;
        try
        {
            var storage = HotlineStorageOptions.ForSqlite(dir);
            storage.SqliteSynchronous = SqliteSynchronous.Normal;
            await using var database = new HotlineDatabase(storage);
            await database.EnsureSchemaAsync();
            var log = new RouterLog(new SqlRouterJournal(database), "bench");
            var options = new RoutingOptions();
            var engine = await log.Load(new RouterState(), options);
            var now = DateTimeOffset.UnixEpoch.AddDays(20000);
            var pending = new List<RouterCommand>();

            async Task Do(RouterCommand command)
            {
                command = command with { At = now };
                var result = command.Apply(engine);
                if (!result.Succeeded) throw new InvalidOperationException($"{command}: {result.ErrorCode} {result.ErrorMessage}");
                pending.Add(command);
                await log.Write(engine, pending, () => engine = new RoutingEngine(RouterLog.Compact(engine.State), options));
                pending.Clear();
                now = now.AddMilliseconds(10);
            }

            string? OfferedTo(string id) => engine.State.Queue.TryGetValue(id, out var e) ? e.OfferedTo : null;
            for (var i = 0; i < LawyerCount; i++)
                await Do(new UpsertLawyerCommand($"L{i:0000}", $"Lawyer {i}", ["wage"], ["mandarin"], 1, LawyerStatus.Available, null));
            var next = 0;
            EnqueueCommand Arrival() => new($"c-{next++:x32}", "wage", "mandarin", Channel.Web, 0, now, null, null, null);
            var active = new Queue<string>();
            for (var i = 0; i < LawyerCount; i++)
            {
                var c = Arrival();
                await Do(c);
                await Do(new AcceptCommand(c.ConsultationId, OfferedTo(c.ConsultationId)!));
                active.Enqueue(c.ConsultationId);
            }
            var queued = new Queue<string>();
            for (var i = 0; i < waiting; i++) { var c = Arrival(); queued.Enqueue(c.ConsultationId); await Do(c); }

            var bytes0 = log.BytesWritten;
            var commands0 = log.CommandsWritten;
            var snapshots0 = log.Snapshots;
            for (var i = 0; i < cycles; i++)
            {
                await Do(new ReleaseCommand(active.Dequeue(), 300));
                var head = queued.Dequeue();
                await Do(new AcceptCommand(head, OfferedTo(head) ?? throw new InvalidOperationException("head not offered")));
                active.Enqueue(head);
                var c = Arrival();
                queued.Enqueue(c.ConsultationId);
                await Do(c);
            }
            var commands = log.CommandsWritten - commands0;
            var perCommand = (double)(log.BytesWritten - bytes0) / commands;
            var wholeState = Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(engine.State, HotlineJson.Options));
            return new Row(commands, perCommand, log.Snapshots - snapshots0, wholeState, EngineRate(engine, options, queued, active, now, cycles));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The same cycles on an in-memory copy, engine only: decisions (offers made) per second.</summary>
    private static double EngineRate(RoutingEngine live, RoutingOptions options, Queue<string> queued, Queue<string> active, DateTimeOffset now, int cycles)
    {
        var engine = new RoutingEngine(RouterLog.Compact(live.State), options);
        queued = new Queue<string>(queued);
        active = new Queue<string>(active);
        var next = 0;
        var offers0 = engine.OffersMade;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < cycles; i++)
        {
            engine.Release(active.Dequeue(), now, 300);
            var head = queued.Dequeue();
            engine.Accept(head, engine.State.Queue[head].OfferedTo!, now);
            active.Enqueue(head);
            var id = $"e-{next++:x32}";
            engine.Enqueue(new QueueEntry { ConsultationId = id, Category = "wage", Dialect = "mandarin", QueuedAt = now }, now);
            queued.Enqueue(id);
            now = now.AddMilliseconds(10);
        }
        return (engine.OffersMade - offers0) / watch.Elapsed.TotalSeconds;
    }
}
