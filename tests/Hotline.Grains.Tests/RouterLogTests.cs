using System.Text.Json;

namespace Hotline.Grains.Tests;

/// <summary>
/// Issue 14: the router's journal with snapshots on the real SQL journal (SQLite). A router reloaded from it has exactly
/// the live router's state and then decides exactly as the live one does; an append costs the same at any queue length.
/// </summary>
public sealed class RouterLogTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hotline-routerlog-").FullName;
    private HotlineDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = new HotlineDatabase(HotlineStorageOptions.ForSqlite(_dir));
        await _database.EnsureSchemaAsync();
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private sealed class Router(HotlineDatabase database, int minSnapshotBytes)
    {
        public readonly RouterLog Log = new(new SqlRouterJournal(database), "hotline", minSnapshotBytes);
        public readonly RoutingOptions Options = new() { OfferTimeoutSeconds = 20 };
        public RoutingEngine Engine = null!;

        public async Task Load() => Engine = await Log.Load(new RouterState(), Options);

        public async Task<RoutingResult> Do(RouterCommand command)
        {
            var result = command.Apply(Engine);
            if (result.Succeeded)
                await Log.Write(Engine, [command], () => Engine = new RoutingEngine(RouterLog.Compact(Engine.State), Options));
            return result;
        }
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, HotlineJson.Options);

    [Fact]
    public async Task A_reloaded_router_has_the_live_state_and_decides_the_same()
    {
        var live = new Router(_database, minSnapshotBytes: 4000);
        await live.Load();
        var random = new Random(14);
        var now = DateTimeOffset.Parse("2026-11-29T08:00:00Z");
        var categories = new[] { "wage", "injury", "contract" };
        RouterCommand Next(int i)
        {
            now = now.AddSeconds(random.Next(1, 8));
            var consultation = $"c-{random.Next(60):x32}";
            var lawyer = $"lw-{random.Next(12)}";
            RouterCommand command = random.Next(9) switch
            {
                0 => new UpsertLawyerCommand(lawyer, lawyer, [categories[random.Next(3)], categories[random.Next(3)]], ["mandarin"], random.Next(1, 4),
                    random.Next(4) == 0 ? LawyerStatus.Away : LawyerStatus.Available, null),
                1 or 2 => new EnqueueCommand(consultation, categories[random.Next(3)], "mandarin", random.Next(6) == 0 ? Channel.Phone : Channel.Web, 0, now, null,
                    random.Next(5) == 0 ? lawyer : null, null),
                3 => new AcceptCommand(consultation, lawyer),
                4 => new DeclineCommand(consultation, lawyer),
                5 => new ReleaseCommand(consultation, random.Next(30, 600)),
                6 => new RemoveCommand(consultation),
                7 => new LawyerDisconnectedCommand(lawyer),
                _ => new TickCommand(),
            };
            // Accept what is offered now, most of the time, so consultations flow through every state.
            if (command is AcceptCommand && random.Next(3) > 0)
                foreach (var e in live.Engine.State.Queue.Values)
                    if (e.OfferedTo is { } to) { command = new AcceptCommand(e.ConsultationId, to); break; }
            return command with { At = now };
        }

        for (var i = 0; i < 600; i++) await live.Do(Next(i));
        Assert.True(live.Log.Snapshots >= 2, $"only {live.Log.Snapshots} snapshot(s): the test must cover replay after a snapshot");

        var reloaded = new Router(_database, minSnapshotBytes: 4000);
        await reloaded.Load();
        Assert.Equal(Json(live.Engine.State), Json(reloaded.Engine.State));

        // Both go on with the same commands: same outcomes, same effects (reloaded one does not write).
        for (var i = 0; i < 200; i++)
        {
            var command = Next(i);
            var a = command.Apply(live.Engine);
            var b = command.Apply(reloaded.Engine);
            Assert.Equal(a.ErrorCode, b.ErrorCode);
            Assert.Equal(a.Effects.Select(e => e.ToString()), b.Effects.Select(e => e.ToString()));
        }
        Assert.Equal(Json(live.Engine.State), Json(reloaded.Engine.State));
    }

    [Fact]
    public async Task An_append_costs_the_same_with_a_short_and_a_long_queue()
    {
        var router = new Router(_database, minSnapshotBytes: int.MaxValue / 2);
        await router.Load();
        var now = DateTimeOffset.Parse("2026-11-29T08:00:00Z");
        async Task<long> Arrive(int i)
        {
            var before = router.Log.BytesWritten;
            await router.Do(new EnqueueCommand($"c-{i:x32}", "wage", "mandarin", Channel.Web, 0, now, null, null, null) { At = now });
            return router.Log.BytesWritten - before;
        }
        await Arrive(0); // the first write of a new router is its snapshot
        var early = await Arrive(1);
        for (var i = 2; i < 2000; i++) await Arrive(i);
        var late = await Arrive(2000);
        Assert.InRange(early, 100, 1000);
        Assert.Equal(early, late);
    }

    [Fact]
    public async Task A_requested_snapshot_drops_the_journal_that_held_a_removed_consultations_employer_key()
    {
        var router = new Router(_database, minSnapshotBytes: int.MaxValue / 2);
        await router.Load();
        var now = DateTimeOffset.Parse("2026-11-29T08:00:00Z");
        await router.Do(new TickCommand { At = now }); // the first write of a new router is its snapshot
        await router.Do(new EnqueueCommand("c-erased", "wage", "mandarin", Channel.Web, 0, now, null, null, "厦门|erasedkey") { At = now });
        await router.Do(new RemoveCommand("c-erased") { At = now });
        Assert.Equal(1, router.Log.Snapshots);
        var journal = new SqlRouterJournal(_database);
        Assert.Contains((await journal.LoadAsync<RouterState, RouterBatch>("hotline")).Batches, b => Json(b.Item2.Commands).Contains("erasedkey"));

        // Requested while nothing asks for one (the journal is far below its size): the next write is a snapshot all the same.
        router.Log.RequestSnapshot();
        await router.Do(new TickCommand { At = now });
        Assert.Equal(2, router.Log.Snapshots);
        var data = await journal.LoadAsync<RouterState, RouterBatch>("hotline");
        Assert.Empty(data.Batches);
        Assert.DoesNotContain("erasedkey", Json(data.Snapshot!));
        // One request, one snapshot: the write after it appends again.
        await router.Do(new TickCommand { At = now });
        Assert.Equal(2, router.Log.Snapshots);
    }

    [Fact]
    public async Task A_second_activation_takes_over_and_the_first_one_can_no_longer_write()
    {
        var now = DateTimeOffset.Parse("2026-11-29T08:00:00Z");
        RouterCommand Arrival(string id) => new EnqueueCommand(id, "wage", "mandarin", Channel.Web, 0, now, null, null, null) { At = now };
        var first = new Router(_database, minSnapshotBytes: int.MaxValue / 2);
        await first.Load();
        await first.Do(Arrival("c-1")); // its snapshot
        await first.Do(Arrival("c-2")); // an append

        // A second activation (a failover that the first one did not see) loads and writes its first batch as a snapshot
        // (as when the journal has grown to the snapshot's size): the first one's append at that seq would find no row.
        var second = new Router(_database, minSnapshotBytes: int.MaxValue / 2);
        await second.Load();
        second.Log.RequestSnapshot();
        await second.Do(Arrival("c-second"));
        Assert.Equal(1, second.Log.Snapshots);

        // The first one's next write, an append at the seq the second one's snapshot covers, is refused: before the writer
        // column, it was stored where no load reads it, and the first activation went on as if it were durable.
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => first.Do(Arrival("c-first")));
        // Asked for a snapshot instead (as after a write whose answer was lost), it is refused too.
        first.Log.RequestSnapshot();
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => first.Do(Arrival("c-first-again")));
        await second.Do(Arrival("c-second-2"));

        var reloaded = new Router(_database, minSnapshotBytes: int.MaxValue / 2);
        await reloaded.Load();
        Assert.Equal(Json(second.Engine.State), Json(reloaded.Engine.State));
        Assert.Equal(["c-1", "c-2", "c-second", "c-second-2"], reloaded.Engine.State.Queue.Keys.Order());
    }

    [Fact]
    public async Task A_claim_journaled_before_pull_respected_exclusions_replays_as_it_ran_then()
    {
        var now = DateTimeOffset.Parse("2026-11-29T08:00:00Z");
        var router = new Router(_database, minSnapshotBytes: int.MaxValue / 2);
        await router.Load();
        foreach (var id in new[] { "lw-a", "lw-b" })
            await router.Do(new UpsertLawyerCommand(id, id, ["wage"], ["mandarin"], 2, LawyerStatus.Available, null) { At = now });
        await router.Do(new EnqueueCommand("c-1", "wage", "mandarin", Channel.Web, 0, now, null, null, null) { At = now });
        var decliner = router.Engine.State.Queue["c-1"].OfferedTo!;
        await router.Do(new DeclineCommand("c-1", decliner) { At = now }); // offered to the other one; the decliner is excluded

        // A claim by the decliner as an older build journaled it: without the flag, it replays as it ran (taken).
        var json = System.Text.Json.Nodes.JsonNode.Parse(Json<RouterCommand>(new ClaimCommand("c-1", decliner) { At = now }))!.AsObject();
        json.Remove(json.Select(p => p.Key).Single(k => k.Equals("respectsExclusions", StringComparison.OrdinalIgnoreCase)));
        var old = Assert.IsType<ClaimCommand>(JsonSerializer.Deserialize<RouterCommand>(json.ToJsonString(), HotlineJson.Options));
        Assert.False(old.RespectsExclusions);
        var copy = new Router(_database, minSnapshotBytes: int.MaxValue / 2);
        await copy.Load();
        Assert.True(old.Apply(copy.Engine).Succeeded);
        // The same claim made now is refused.
        Assert.Equal(RoutingErrors.Conflict, (await router.Do(new ClaimCommand("c-1", decliner) { At = now, RespectsExclusions = true })).ErrorCode);
    }
}
