namespace Hotline.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresStorageTests(PostgresServer server) : StorageContractTests
{
    protected override async Task<HotlineStorageOptions> NewDatabaseAsync() =>
        HotlineStorageOptions.ForPostgres(await server.CreateDatabaseAsync());

    [Fact]
    public async Task Appends_ride_through_a_postgres_restart_without_duplicates()
    {
        var c = "c-" + Guid.NewGuid();
        var other = "c-" + Guid.NewGuid();
        await Messages.AppendAsync(Msg(c, 1));
        await Messages.AppendAsync(Msg(other, 1));

        // Continuous traffic on `other` while the server goes down and comes back.
        using var stopTraffic = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            long seq = 1;
            while (!stopTraffic.IsCancellationRequested)
            {
                var outcome = await Messages.AppendAsync(Msg(other, ++seq));
                Assert.Equal(seq, outcome.Message.Seq);
                Assert.False(outcome.Duplicate);
                await Task.Delay(20);
            }
            return seq;
        });
        await Task.Delay(300);

        await server.StopAsync();
        var restart = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            await server.StartAsync();
        });
        try
        {
            var clock = Stopwatch.StartNew();
            var during = await Messages.AppendAsync(Msg(c, 2));
            Assert.False(during.Duplicate);
            Assert.Equal(2, during.Message.Seq);
            Assert.True(clock.Elapsed > TimeSpan.FromSeconds(1), $"append returned in {clock.Elapsed} while the server was down");
            var id = Grain("restart-" + Guid.NewGuid());
            var state = new Orleans.GrainState<SampleState>(new SampleState { Name = "after restart" });
            await Grains.WriteStateAsync("state", id, state);
        }
        finally
        {
            await restart;
        }

        await Task.Delay(300);
        await stopTraffic.CancelAsync();
        var lastOther = await traffic;
        Assert.True(lastOther > 3);

        Assert.Equal([1L, 2], (await Messages.ReadAsync(c, 0, 100)).Select(m => m.Seq));
        var otherMessages = await Messages.ReadAsync(other, 0, 10_000);
        Assert.Equal(Enumerable.Range(1, (int)lastOther).Select(i => (long)i), otherMessages.Select(m => m.Seq));
        Assert.Equal(otherMessages.Count, otherMessages.Select(m => m.ClientMessageId).Distinct().Count());
    }

    [Fact]
    public async Task An_outage_longer_than_the_budget_throws_storage_unavailable()
    {
        await Messages.AppendAsync(Msg("c-budget", 1));
        var shortBudget = HotlineStorageOptions.ForPostgres(Options.ConnectionString!);
        shortBudget.RetryBudget = TimeSpan.FromSeconds(2);
        await using var impatient = new HotlineDatabase(shortBudget);
        var store = new SqlMessageStore(impatient);
        await store.GetLastSeqAsync("c-budget");

        await server.StopAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.AppendAsync(Msg("c-budget", 2)));
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
            Assert.Equal("unavailable", StorageUnavailableException.ErrorCode);
            Assert.NotNull(ex.InnerException);
        }
        finally
        {
            await server.StartAsync();
        }
        Assert.Equal(1, await Messages.GetLastSeqAsync("c-budget"));
    }

    [Fact]
    public void Transient_classification()
    {
        Assert.True(HotlineDatabase.IsTransient(new Npgsql.NpgsqlException("boom", new System.Net.Sockets.SocketException(111))));
        Assert.True(HotlineDatabase.IsTransient(new IOException("reset")));
        Assert.False(HotlineDatabase.IsTransient(new InvalidOperationException("bug")));
        Assert.False(HotlineDatabase.IsTransient(new MessageSequenceConflictException("c", 1)));
    }

    [Fact]
    public async Task Two_router_writers_racing_on_postgres_never_both_succeed()
    {
        // A stale activation appends its next batch while the new one writes its first snapshot at that seq. Each
        // statement on PostgreSQL commits on its own: without one lock around each writer's check and write, the snapshot
        // can check before the append lands and prune it after, and both callers are told their write is durable.
        var journal = new SqlRouterJournal(Database);
        var bothDurable = 0;
        for (var round = 0; round < 60; round++)
        {
            var router = "race-" + round;
            await journal.AppendAsync(router, 1, new List<string> { "a" }, "old");
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            async Task<bool> Durable(Func<Task> write)
            {
                await start.Task;
                try { await write(); return true; }
                catch (RouterJournalConflictException) { return false; }
            }
            var append = Task.Run(() => Durable(() => journal.AppendAsync(router, 2, new List<string> { "b" }, "old")));
            var snapshot = Task.Run(() => Durable(() => journal.SnapshotAsync(router, 2, new SampleState { Name = "new" }, "new")));
            start.SetResult();
            var (appended, snapshotted) = (await append, await snapshot);
            Assert.True(appended || snapshotted, "one of the two writes must win");
            if (appended && snapshotted) bothDurable++;
        }
        Assert.Equal(0, bothDurable);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresLostAckTests(PostgresServer server) : IAsyncLifetime
{
    private HotlineDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = new HotlineDatabase(HotlineStorageOptions.ForPostgres(await server.CreateDatabaseAsync()));
        await _database.EnsureSchemaAsync();
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private void LoseFirstAck()
    {
        var lost = 0;
        _database.FaultAfterCommit = () => Interlocked.Exchange(ref lost, 1) == 0 ? new IOException("connection reset during commit") : null;
    }

    [Fact]
    public async Task Append_whose_commit_ack_was_lost_is_retried_into_the_original_message_not_a_duplicate()
    {
        var store = new SqlMessageStore(_database);
        var message = new StoredMessage("c-lost", 1, Hotline.Domain.ParticipantRole.Lawyer, "l-1", "Lawyer", "hi", DateTimeOffset.UtcNow, "m-1");
        LoseFirstAck();
        var outcome = await store.AppendAsync(message);
        Assert.False(outcome.Duplicate); // stored once, by this call
        Assert.Equal(1, outcome.Message.Seq);
        _database.FaultAfterCommit = null;
        Assert.Single(await store.ReadAsync("c-lost", 0, 10));

        // a real resend by the client is still reported as a duplicate.
        Assert.True((await store.AppendAsync(message)).Duplicate);
    }

    [Fact]
    public async Task Grain_state_write_and_clear_whose_ack_was_lost_do_not_report_false_conflicts()
    {
        var grains = new HotlineGrainStorage(_database);
        var id = Orleans.Runtime.GrainId.Create("test", "lost-ack");
        var state = new Orleans.GrainState<SampleState>(new SampleState { Name = "one" });
        LoseFirstAck();
        await grains.WriteStateAsync("s", id, state); // insert path
        var etag1 = state.ETag;
        LoseFirstAck();
        state.State!.Name = "two";
        await grains.WriteStateAsync("s", id, state); // update path
        Assert.NotEqual(etag1, state.ETag);

        _database.FaultAfterCommit = null;
        var read = new Orleans.GrainState<SampleState>(new SampleState());
        await grains.ReadStateAsync("s", id, read);
        Assert.Equal("two", read.State!.Name);
        Assert.Equal(state.ETag, read.ETag);

        LoseFirstAck();
        await grains.ClearStateAsync("s", id, state);
        Assert.False(state.RecordExists);
    }
}
