namespace Hotline.Storage.Tests;

/// <summary>
/// SQLite group commit: ops queued together run in one transaction, each keeps its own outcome. The tests hold the
/// file's write lock while queueing, so the writer takes all the ops in one batch (asserted via LastBatchSize).
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hotline-gc-" + Guid.NewGuid().ToString("N")[..12]);
    private HotlineStorageOptions _options = null!;
    private HotlineDatabase _database = null!;
    private SqlMessageStore _messages = null!;
    private HotlineGrainStorage _grains = null!;

    public async Task InitializeAsync()
    {
        _options = HotlineStorageOptions.ForSqlite(Path.Combine(_root, "data"));
        _database = new HotlineDatabase(_options);
        _messages = new SqlMessageStore(_database);
        _grains = new HotlineGrainStorage(_database);
        await _database.EnsureSchemaAsync(); // later calls enqueue synchronously, in call order
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static StoredMessage Msg(string consultation, long seq, string clientId, string? text = null) =>
        new(consultation, seq, ParticipantRole.Worker, "w-1", "Worker 1", text ?? $"message {seq}",
            new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero).AddSeconds(seq), clientId);

    /// <summary>Starts the calls while the writer is held, so they all land in one batch; returns their tasks.</summary>
    private async Task<Task[]> InOneBatch(params Func<Task>[] calls)
    {
        var writer = _database.GroupCommit!;
        var batchesBefore = writer.Batches;
        Task[] tasks;
        using (await _database.HoldSqliteWriteLockAsync())
        {
            tasks = calls.Select(call => call()).ToArray();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (writer.Pending < calls.Length && DateTime.UtcNow < deadline) await Task.Delay(5);
            Assert.Equal(calls.Length, writer.Pending);
        }
        try { await Task.WhenAll(tasks); } catch { /* asserted per task by the caller */ }
        Assert.Equal(batchesBefore + 1, writer.Batches);
        Assert.Equal(calls.Length, writer.LastBatchSize);
        return tasks;
    }

    [Fact]
    public async Task Duplicate_client_id_within_one_batch_is_a_duplicate_of_the_first()
    {
        const string c = "c-dup";
        Task<AppendOutcome>? first = null, second = null, third = null;
        await InOneBatch(
            () => first = _messages.AppendAsync(Msg(c, 1, "client-a")),
            () => second = _messages.AppendAsync(Msg(c, 1, "client-a", text: "resent")),
            () => third = _messages.AppendAsync(Msg(c, 2, "client-b")));

        Assert.False((await first!).Duplicate);
        var dup = await second!;
        Assert.True(dup.Duplicate);
        Assert.Equal(1, dup.Message.Seq);
        Assert.Equal("message 1", dup.Message.Text);
        Assert.False((await third!).Duplicate);
        Assert.Equal([1L, 2], (await _messages.ReadAsync(c, 0, 10)).Select(m => m.Seq));
        Assert.Equal("client-b", (await _messages.ReadAsync(c, 1, 10))[0].ClientMessageId);
    }

    [Fact]
    public async Task Seq_conflict_in_a_batch_fails_only_that_op()
    {
        const string c = "c-conflict";
        var tasks = await InOneBatch(
            () => _messages.AppendAsync(Msg(c, 1, "client-a")),
            () => _messages.AppendAsync(Msg(c, 1, "client-b")),  // seq 1 taken by client-a in this very batch
            () => _messages.AppendAsync(Msg(c, 2, "client-c")),
            () => _messages.AppendAsync(Msg("c-other", 1, "client-a")));

        var conflict = await Assert.ThrowsAsync<MessageSequenceConflictException>(() => tasks[1]);
        Assert.Equal(1, conflict.Seq);
        Assert.Equal(c, conflict.ConsultationId);
        Assert.True(tasks[0].IsCompletedSuccessfully && tasks[2].IsCompletedSuccessfully && tasks[3].IsCompletedSuccessfully);
        var stored = await _messages.ReadAsync(c, 0, 10);
        Assert.Equal(["client-a", "client-c"], stored.Select(m => m.ClientMessageId));
        Assert.Equal(1, await _messages.GetLastSeqAsync("c-other"));
    }

    [Fact]
    public async Task Etag_conflict_within_a_batch_fails_only_that_op()
    {
        var id = GrainId.Create("consultation", "etag-" + Guid.NewGuid());
        var a = new GrainState<SampleState>(new SampleState { Name = "v0" });
        await _grains.WriteStateAsync("state", id, a);
        var b = new GrainState<SampleState>(new SampleState { Name = "stale" }) { ETag = a.ETag, RecordExists = true };
        var fresh1 = new GrainState<SampleState>(new SampleState { Name = "fresh" });
        var fresh2 = new GrainState<SampleState>(new SampleState { Name = "blind" });
        var toClear = new GrainState<SampleState>(new SampleState { Name = "gone" });
        await _grains.WriteStateAsync("clear-me", id, toClear);
        var etagBefore = a.ETag;

        a.State!.Name = "v1";
        var tasks = await InOneBatch(
            () => _grains.WriteStateAsync("state", id, a),           // wins: ETag matches
            () => _grains.WriteStateAsync("state", id, b),           // same expected ETag, now stale
            () => _grains.WriteStateAsync("new", id, fresh1),        // insert
            () => _grains.WriteStateAsync("new", id, fresh2),        // blind insert of the row inserted just before
            () => _grains.ClearStateAsync("clear-me", id, toClear),
            () => _messages.AppendAsync(Msg("c-mixed", 1, "m1")));

        Assert.True(tasks[0].IsCompletedSuccessfully);
        var stale = await Assert.ThrowsAsync<InconsistentStateException>(() => tasks[1]);
        Assert.Equal(a.ETag, stale.StoredEtag);
        Assert.Equal(etagBefore, b.ETag); // the failed op left its state alone
        Assert.True(tasks[2].IsCompletedSuccessfully);
        await Assert.ThrowsAsync<InconsistentStateException>(() => tasks[3]);
        Assert.True(tasks[4].IsCompletedSuccessfully && tasks[5].IsCompletedSuccessfully);

        var read = new GrainState<SampleState>(new SampleState());
        await _grains.ReadStateAsync("state", id, read);
        Assert.Equal(("v1", a.ETag), (read.State!.Name, read.ETag));
        await _grains.ReadStateAsync("new", id, read);
        Assert.Equal(("fresh", fresh1.ETag), (read.State!.Name, read.ETag));
        await _grains.ReadStateAsync("clear-me", id, read);
        Assert.False(read.RecordExists);
        Assert.Single(await _messages.ReadAsync("c-mixed", 0, 10));
    }

    [Fact]
    public async Task Failed_commit_fails_every_op_of_the_batch_and_stores_nothing()
    {
        var id = GrainId.Create("consultation", "commit-" + Guid.NewGuid());
        var state = new GrainState<SampleState>(new SampleState { Name = "never" });
        _database.GroupCommit!.FaultInsteadOfCommit = () => new IOException("disk gone");
        var tasks = await InOneBatch(
            () => _messages.AppendAsync(Msg("c-fail", 1, "m1")),
            () => _messages.AppendAsync(Msg("c-fail", 1, "m2")), // would have been a seq conflict
            () => _grains.WriteStateAsync("state", id, state));
        foreach (var task in tasks)
            await Assert.ThrowsAsync<StorageUnavailableException>(() => task);
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);

        _database.GroupCommit.FaultInsteadOfCommit = null;
        Assert.Empty(await _messages.ReadAsync("c-fail", 0, 10));
        var read = new GrainState<SampleState>(new SampleState());
        await _grains.ReadStateAsync("state", id, read);
        Assert.False(read.RecordExists);

        // The writer goes on: the same ops succeed in the next batch.
        Assert.False((await _messages.AppendAsync(Msg("c-fail", 1, "m1"))).Duplicate);
        await _grains.WriteStateAsync("state", id, state);
        Assert.Single(await _messages.ReadAsync("c-fail", 0, 10));
    }

    [Fact]
    public async Task An_op_cancelled_while_queued_is_not_stored()
    {
        using var cts = new CancellationTokenSource();
        var held = await _database.HoldSqliteWriteLockAsync();
        var kept = _messages.AppendAsync(Msg("c-cancel", 1, "m1"));
        var cancelled = _messages.AppendAsync(Msg("c-cancel", 2, "m2"), cts.Token);
        await cts.CancelAsync();
        held.Dispose();
        await kept;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Single(await _messages.ReadAsync("c-cancel", 0, 10));
    }

    [Fact]
    public async Task Concurrent_writers_are_batched_and_everything_survives_a_reopen()
    {
        const int writers = 32, perWriter = 20;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var seq = 1; seq <= perWriter; seq++)
                Assert.False((await _messages.AppendAsync(Msg($"c{w}", seq, $"m{seq}"))).Duplicate);
        })));
        var writer = _database.GroupCommit!;
        Assert.Equal(writers * perWriter, writer.Ops);
        Assert.True(writer.Batches < writer.Ops, $"{writer.Batches} batches for {writer.Ops} ops: no batching");
        await _database.DisposeAsync();

        _database = new HotlineDatabase(_options);
        _messages = new SqlMessageStore(_database);
        for (var w = 0; w < writers; w++)
            Assert.Equal(Enumerable.Range(1, perWriter).Select(i => (long)i), (await _messages.ReadAsync($"c{w}", 0, 100)).Select(m => m.Seq));
    }

    [Fact]
    public async Task Synchronous_normal_is_an_option_full_is_the_default()
    {
        await using (var connection = await _database.OpenConnectionAsync())
        await using (var sync = connection.CreateCommand())
        {
            sync.CommandText = "PRAGMA synchronous";
            Assert.Equal(2L, (long)(await sync.ExecuteScalarAsync())!);
        }
        var normal = HotlineStorageOptions.ForSqlite(Path.Combine(_root, "normal"));
        normal.SqliteSynchronous = SqliteSynchronous.Normal;
        await using var database = new HotlineDatabase(normal);
        await using (var connection = await database.OpenConnectionAsync())
        await using (var sync = connection.CreateCommand())
        {
            sync.CommandText = "PRAGMA synchronous";
            Assert.Equal(1L, (long)(await sync.ExecuteScalarAsync())!);
        }
    }

    /// <summary>Writes about 1,300 WAL pages (past SQLite's 1000-page auto-checkpoint) through the group commit.</summary>
    private static async Task WriteManyPages(SqlMessageStore messages, string prefix = "big")
    {
        var text = new string('x', 12_000); // three to four pages per row
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var seq = 1; seq <= 90; seq++) await messages.AppendAsync(Msg($"{prefix}{w}", seq, $"m{seq}", text));
        })));
    }

    /// <summary>Writes more than 1000 pages; the WAL must still hold every frame (none copied by the writer), which a PASSIVE checkpoint then copies.</summary>
    private static async Task WriteManyPagesAndKeepThemInTheWal(HotlineDatabase database, string otherwise)
    {
        await database.EnsureSchemaAsync();
        await WriteManyPages(new SqlMessageStore(database));
        var (log, done) = await CheckpointNow(database);
        Assert.True(log > 1000, $"the WAL holds {log} frames: {otherwise}");
        Assert.Equal(log, done);
    }

    /// <summary>(log frames, checkpointed frames) of a PASSIVE checkpoint run now.</summary>
    private static async Task<(long Log, long Done)> CheckpointNow(HotlineDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(1), reader.GetInt64(2));
    }

    [Fact]
    public async Task After_an_erase_and_its_scrub_no_file_of_the_store_holds_the_erased_text()
    {
        const string secret = "wage-claim-7f3a91";
        for (var seq = 1; seq <= 20; seq++) await _messages.AppendAsync(Msg("erase-me", seq, $"e{seq}", $"{secret} {seq}"));
        await _messages.AppendAsync(Msg("keep", 1, "k1", "kept text"));
        Assert.True(await DataFiles.Contain(DataFolder, secret), "the appended text is in no file: the test reads the wrong folder");

        // Erased, but the frames written before the erase are still in the WAL (the writer checkpoints only past its
        // configured size): without the scrub the text would stay on disk.
        await _messages.EraseTextsAsync("erase-me");
        Assert.Equal("", (await _messages.ReadAsync("erase-me", 0, 100))[0].Text);
        Assert.True(await DataFiles.Contain(DataFolder, secret), "the erased text was gone before the scrub: this test no longer shows what the scrub does");

        Assert.True(await _messages.ScrubErasedAsync());
        Assert.False(await DataFiles.Contain(DataFolder, secret), "the erased text is still in a file of the store after the scrub");
        Assert.Equal("kept text", (await _messages.ReadAsync("keep", 0, 10))[0].Text);
        Assert.Equal(20, (await _messages.ReadAsync("erase-me", 0, 100)).Count);
    }

    private string DataFolder => Path.Combine(_root, "data");

    [Fact]
    public async Task Without_background_checkpoints_the_writer_checkpoints_at_its_configured_WAL_size()
    {
        // The writer's own setting, read on the writer's connection: the configured size, the default, the backstop.
        static async Task<long> WriterSetting(HotlineDatabase database) => await database.GroupCommit!.EnqueueAsync(async (connection, ct) =>
        {
            await using var read = connection.Command("PRAGMA wal_autocheckpoint");
            return Convert.ToInt64(await read.ExecuteScalarAsync(ct));
        }, CancellationToken.None);
        foreach (var (configured, interval, expected) in new[] { (1500, TimeSpan.Zero, 1500L), (0, TimeSpan.Zero, 10_000L), (1500, TimeSpan.FromHours(1), 16_384L) })
        {
            var options = HotlineStorageOptions.ForSqlite(Path.Combine(_root, $"setting-{configured}-{interval.TotalSeconds}"));
            if (configured > 0) options.SqliteAutoCheckpointPages = configured;
            options.SqliteCheckpointInterval = interval;
            await using var database = new HotlineDatabase(options);
            await database.EnsureSchemaAsync();
            Assert.Equal(expected, await WriterSetting(database));
        }

        // 1500 pages: writing well over 2,000 crosses it, the commit that did checkpointed, and the WAL restarted from
        // its start (with the default, 10,000, it would hold them all).
        var small = HotlineStorageOptions.ForSqlite(Path.Combine(_root, "small"));
        small.SqliteAutoCheckpointPages = 1500;
        await using (var database = new HotlineDatabase(small))
        {
            await database.EnsureSchemaAsync();
            var messages = new SqlMessageStore(database);
            await WriteManyPages(messages);
            await WriteManyPages(messages, "again");
            var (log, _) = await CheckpointNow(database);
            Assert.True(log < 1500, $"the WAL holds {log} frames: the writer did not checkpoint at 1500 pages");
        }

        // The default, ten times SQLite's: every frame is still in the WAL, none copied by the writer.
        var large = HotlineStorageOptions.ForSqlite(Path.Combine(_root, "large"));
        await using (var database = new HotlineDatabase(large))
            await WriteManyPagesAndKeepThemInTheWal(database, "the writer checkpointed before its configured size");
        await using (var database = new HotlineDatabase(large))
        {
            var messages = new SqlMessageStore(database);
            for (var w = 0; w < 4; w++) Assert.Equal(90, (await messages.ReadAsync($"big{w}", 0, 1000)).Count);
        }
    }

    [Fact]
    public async Task The_writer_never_checkpoints_inside_a_commit_a_background_connection_does()
    {
        // Background checkpoints far apart: the commits alone must leave every frame in the WAL (SQLite's own
        // auto-checkpoint would have copied and restarted it at 1000 pages, inside the commit that crossed them).
        var rare = HotlineStorageOptions.ForSqlite(Path.Combine(_root, "rare"));
        rare.SqliteCheckpointInterval = TimeSpan.FromHours(1);
        await using (var database = new HotlineDatabase(rare))
        {
            await WriteManyPagesAndKeepThemInTheWal(database, "the writer checkpointed inside a commit");
            Assert.Equal(0, database.GroupCommit!.Checkpoints);
        }

        // Frequent background checkpoints: they run, and every committed row is still there after a reopen.
        var often = HotlineStorageOptions.ForSqlite(Path.Combine(_root, "often"));
        often.SqliteCheckpointInterval = TimeSpan.FromMilliseconds(20);
        await using (var database = new HotlineDatabase(often))
        {
            await database.EnsureSchemaAsync();
            await WriteManyPages(new SqlMessageStore(database));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (database.GroupCommit!.Checkpoints == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(database.GroupCommit.Checkpoints > 0, "no background checkpoint ran");
        }
        await using (var database = new HotlineDatabase(often))
        {
            var messages = new SqlMessageStore(database);
            for (var w = 0; w < 4; w++) Assert.Equal(90, (await messages.ReadAsync($"big{w}", 0, 1000)).Count);
        }
    }
}
