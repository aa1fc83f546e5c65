using System.Text.Json.Serialization;

namespace Hotline.Storage.Tests;

public enum Mood { Calm, Angry }

/// <summary>A mutable POCO state, like the grains' states.</summary>
public sealed class SampleState
{
    public string Name { get; set; } = "";
    public Mood Mood { get; set; }
    public Dictionary<string, int> Counters { get; set; } = [];
    public HashSet<string> Tags { get; set; } = [];
    public Dictionary<Mood, string> ByMood { get; } = [];
    public List<SampleRecord> Records { get; set; } = [];
    public DateTimeOffset? LastSeen { get; set; }
}

/// <summary>An immutable record with required and init-only members.</summary>
public sealed record SampleRecord(string Id, ParticipantRole Role)
{
    public required string Title { get; init; }
    public int Count { get; init; }
    [JsonIgnore] public string Ignored { get; init; } = "x";
}

/// <summary>
/// The storage contract, run unchanged against SQLite and PostgreSQL. Each test gets a fresh database.
/// </summary>
public abstract partial class StorageContractTests : IAsyncLifetime
{
    protected HotlineStorageOptions Options = null!;
    protected HotlineDatabase Database = null!;
    protected SqlMessageStore Messages = null!;
    protected HotlineGrainStorage Grains = null!;

    /// <summary>Options of a fresh, empty database.</summary>
    protected abstract Task<HotlineStorageOptions> NewDatabaseAsync();

    public virtual async Task InitializeAsync()
    {
        Options = await NewDatabaseAsync();
        Database = new HotlineDatabase(Options);
        Messages = new SqlMessageStore(Database);
        Grains = new HotlineGrainStorage(Database);
    }

    public virtual async Task DisposeAsync() => await Database.DisposeAsync();

    protected static StoredMessage Msg(string consultation, long seq, string? clientId = null, string? text = null) =>
        new(consultation, seq, ParticipantRole.Worker, "w-1", "Worker 1", text ?? $"message {seq}",
            new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero).AddSeconds(seq), clientId ?? $"c-{seq}");

    protected static GrainId Grain(string key) => GrainId.Create("consultation", key);

    [Fact]
    public async Task Grain_state_round_trip_with_etag_conflicts()
    {
        var id = Grain("g-" + Guid.NewGuid());
        var first = new GrainState<SampleState>(new SampleState());
        await Grains.ReadStateAsync("state", id, first);
        Assert.False(first.RecordExists);
        Assert.Null(first.ETag);

        first.State!.Name = "Ann";
        first.State!.Mood = Mood.Angry;
        first.State!.Counters["a"] = 3;
        first.State!.Tags.Add("urgent");
        first.State!.ByMood[Mood.Calm] = "fine";
        first.State!.Records.Add(new SampleRecord("r1", ParticipantRole.Lawyer) { Title = "T", Count = 2 });
        first.State!.LastSeen = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(8));
        await Grains.WriteStateAsync("state", id, first);
        Assert.True(first.RecordExists);
        Assert.NotNull(first.ETag);

        var second = new GrainState<SampleState>(new SampleState());
        await Grains.ReadStateAsync("state", id, second);
        Assert.True(second.RecordExists);
        Assert.Equal(first.ETag, second.ETag);
        Assert.Equal("Ann", second.State!.Name);
        Assert.Equal(Mood.Angry, second.State!.Mood);
        Assert.Equal(3, second.State!.Counters["a"]);
        Assert.Contains("urgent", second.State!.Tags);
        Assert.Equal("fine", second.State!.ByMood[Mood.Calm]);
        Assert.Equal(new SampleRecord("r1", ParticipantRole.Lawyer) { Title = "T", Count = 2 }, Assert.Single(second.State!.Records));
        Assert.Equal(first.State!.LastSeen, second.State!.LastSeen);

        // second writes; first is now stale.
        second.State!.Name = "Bob";
        await Grains.WriteStateAsync("state", id, second);
        Assert.NotEqual(first.ETag, second.ETag);
        var staleWrite = await Assert.ThrowsAsync<InconsistentStateException>(() => Grains.WriteStateAsync("state", id, first));
        Assert.Equal(second.ETag, staleWrite.StoredEtag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => Grains.ClearStateAsync("state", id, first));

        // a writer that believes there is no row conflicts too.
        var blind = new GrainState<SampleState>(new SampleState { Name = "Eve" });
        await Assert.ThrowsAsync<InconsistentStateException>(() => Grains.WriteStateAsync("state", id, blind));

        // another state name of the same grain is independent.
        var other = new GrainState<SampleState>(new SampleState { Name = "Other" });
        await Grains.WriteStateAsync("other", id, other);

        await Grains.ClearStateAsync("state", id, second);
        Assert.False(second.RecordExists);
        Assert.Null(second.ETag);
        Assert.Equal("", second.State!.Name);

        var third = new GrainState<SampleState>(new SampleState());
        await Grains.ReadStateAsync("state", id, third);
        Assert.False(third.RecordExists);
        await Grains.ReadStateAsync("other", id, third);
        Assert.Equal("Other", third.State!.Name);

        // write again after clear, from scratch.
        var again = new GrainState<SampleState>(new SampleState { Name = "New" });
        await Grains.WriteStateAsync("state", id, again);
        await Grains.ReadStateAsync("state", id, third);
        Assert.Equal("New", third.State!.Name);
    }

    [Fact]
    public async Task The_catalog_lists_one_grain_types_keys_in_pages_in_key_order()
    {
        var prefix = "k-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var keys = Enumerable.Range(0, 5).Select(i => prefix + i).ToList();
        foreach (var key in keys.AsEnumerable().Reverse())
            await Grains.WriteStateAsync("state", Grain(key), new GrainState<SampleState>(new SampleState { Name = key }));
        // Another state name and another grain type under the same keys are not listed.
        await Grains.WriteStateAsync("other", Grain(keys[0]), new GrainState<SampleState>(new SampleState()));
        await Grains.WriteStateAsync("state", GrainId.Create("worker", keys[1]), new GrainState<SampleState>(new SampleState()));

        var listed = new List<string>();
        string? after = null;
        while (await Grains.ListKeysAsync("consultation", "state", after, 2) is { Count: > 0 } page)
        {
            Assert.True(page.Count <= 2);
            listed.AddRange(page);
            after = page[^1];
        }
        Assert.Equal(keys, listed.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList());
        Assert.Equal([keys[1]], (await Grains.ListKeysAsync("worker", "state", null, 100)).Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public async Task Record_state_round_trips()
    {
        var id = Grain("r-" + Guid.NewGuid());
        var state = new GrainState<SampleRecord>(new SampleRecord("id", ParticipantRole.System) { Title = "title", Count = 7 });
        await Grains.WriteStateAsync("s", id, state);
        var read = new GrainState<SampleRecord>(null!);
        await Grains.ReadStateAsync("s", id, read);
        Assert.Equal(state.State, read.State);
    }

    [Fact]
    public async Task Append_then_duplicate_client_id_at_a_taken_seq_returns_the_original_and_stores_nothing()
    {
        var c = "c-" + Guid.NewGuid();
        var first = await Messages.AppendAsync(Msg(c, 1, "client-a"));
        Assert.False(first.Duplicate);
        Assert.Equal(1, first.Message.Seq);

        // The resend of a writer that did not know of the first (its seq is the first's).
        var again = await Messages.AppendAsync(Msg(c, 1, "client-a", text: "resent"));
        Assert.True(again.Duplicate);
        Assert.Equal(1, again.Message.Seq);
        Assert.Equal("message 1", again.Message.Text);

        Assert.Equal(1, await Messages.GetLastSeqAsync(c));
        Assert.Single(await Messages.ReadAsync(c, 0, 100));
        Assert.Equal(first.Message, await Messages.FindByClientMessageIdAsync(c, "w-1", "client-a"));
        Assert.Null(await Messages.FindByClientMessageIdAsync(c, "w-1", "client-b"));

        // the same client id in another consultation is another message.
        var elsewhere = await Messages.AppendAsync(Msg(c + "-2", 1, "client-a"));
        Assert.False(elsewhere.Duplicate);
    }

    [Fact]
    public async Task Client_message_ids_are_scoped_per_sender()
    {
        var c = "c-" + Guid.NewGuid();
        await Messages.AppendAsync(Msg(c, 1, "same-id"));
        // The lawyer happens to use the worker's clientMessageId: another message, not a duplicate of the worker's.
        var lawyer = Msg(c, 2, "same-id", text: "from the lawyer") with { SenderRole = ParticipantRole.Lawyer, SenderId = "lw-a", SenderName = "A" };
        var outcome = await Messages.AppendAsync(lawyer);
        Assert.False(outcome.Duplicate);
        Assert.Equal(2, outcome.Message.Seq);
        Assert.Equal("from the lawyer", (await Messages.FindByClientMessageIdAsync(c, "lw-a", "same-id"))!.Text);
        // ...and the lawyer's own resend is a duplicate.
        Assert.True((await Messages.AppendAsync(lawyer with { Seq = 2 })).Duplicate);
        Assert.Equal(2, await Messages.GetLastSeqAsync(c));
    }

    [Fact]
    public async Task A_stale_writers_resend_meets_a_taken_seq_and_gets_the_original_not_a_second_copy()
    {
        // Another writer stored client-a at 2 and client-b at 3; a writer whose view ends at seq 1 resends client-a.
        // It can only try seq 2, which is taken: the answer is the sender's original (seq 2), and nothing is stored.
        var c = "c-" + Guid.NewGuid();
        await Messages.AppendAsync(Msg(c, 1, "client-0"));
        await Messages.AppendAsync(Msg(c, 2, "client-a"));
        await Messages.AppendAsync(Msg(c, 3, "client-b"));
        var resend = await Messages.AppendAsync(Msg(c, 2, "client-a", text: "resent"));
        Assert.True(resend.Duplicate);
        Assert.Equal((2L, "message 2"), (resend.Message.Seq, resend.Message.Text));
        // The same stale writer's new message at a taken seq is a conflict: it must re-read before its next append.
        var conflict = await Assert.ThrowsAsync<MessageSequenceConflictException>(() => Messages.AppendAsync(Msg(c, 3, "client-new")));
        Assert.Equal(3, conflict.Seq);
        // A resend at any taken seq finds the original, wherever it is.
        var later = await Messages.AppendAsync(Msg(c, 3, "client-a", text: "resent again"));
        Assert.Equal((true, 2L), (later.Duplicate, later.Message.Seq));
        Assert.Equal(["client-0", "client-a", "client-b"], (await Messages.ReadAsync(c, 0, 100)).Select(m => m.ClientMessageId));
    }

    [Fact]
    public async Task Reminder_table_upserts_reads_by_grain_and_ring_range_and_removes_by_etag()
    {
        var table = new HotlineReminderTable(Database, Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.ClusterOptions { ServiceId = "svc" }));
        await table.StartAsync();
        var grain = GrainId.Create("lawyer", "lw-" + Guid.NewGuid().ToString("N"));
        var start = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        Assert.Null(await table.ReadRow(grain, "grace"));
        var etag = await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "grace", StartAt = start, Period = TimeSpan.FromMinutes(1) });

        var row = (await table.ReadRow(grain, "grace"))!;
        Assert.Equal((grain, start, TimeSpan.FromMinutes(1), etag), (row.GrainId, row.StartAt, row.Period, row.ETag));
        Assert.Single((await table.ReadRows(grain)).Reminders);
        var hash = grain.GetUniformHashCode();
        Assert.Single((await table.ReadRows(hash - 1, hash)).Reminders);
        Assert.DoesNotContain((await table.ReadRows(hash, hash == uint.MaxValue ? 0 : hash + 1)).Reminders, r => r.GrainId == grain);
        Assert.Contains((await table.ReadRows(hash, hash)).Reminders, r => r.GrainId == grain); // begin == end: the whole ring

        var newer = await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "grace", StartAt = start.AddMinutes(5), Period = TimeSpan.FromMinutes(2) });
        Assert.NotEqual(etag, newer);
        Assert.Equal(start.AddMinutes(5), (await table.ReadRow(grain, "grace"))!.StartAt);
        Assert.False(await table.RemoveRow(grain, "grace", etag!)); // stale etag
        Assert.True(await table.RemoveRow(grain, "grace", newer!));
        Assert.Null(await table.ReadRow(grain, "grace"));

        // Another service id does not see this service's reminders.
        await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "x", StartAt = start, Period = TimeSpan.FromMinutes(1) });
        var other = new HotlineReminderTable(Database, Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.ClusterOptions { ServiceId = "other" }));
        Assert.Empty((await other.ReadRows(grain)).Reminders);
    }

    [Fact]
    public async Task Taken_seq_with_another_client_id_throws()
    {
        var c = "c-" + Guid.NewGuid();
        await Messages.AppendAsync(Msg(c, 1, "client-a"));
        var ex = await Assert.ThrowsAsync<MessageSequenceConflictException>(() => Messages.AppendAsync(Msg(c, 1, "client-b")));
        Assert.Equal(1, ex.Seq);
        Assert.Single(await Messages.ReadAsync(c, 0, 100));
    }

    [Fact]
    public async Task Read_after_seq_is_ordered_and_limited()
    {
        var c = "c-" + Guid.NewGuid();
        Assert.Equal(0, await Messages.GetLastSeqAsync(c));
        Assert.Empty(await Messages.ReadAsync(c, 0, 10));
        foreach (var seq in new long[] { 5, 1, 9, 3, 2, 10, 4, 8, 7, 6 })
            await Messages.AppendAsync(Msg(c, seq));

        var page = await Messages.ReadAsync(c, 3, 4);
        Assert.Equal([4L, 5, 6, 7], page.Select(m => m.Seq));
        Assert.Equal([8L, 9, 10], (await Messages.ReadAsync(c, 7, 100)).Select(m => m.Seq));
        Assert.Empty(await Messages.ReadAsync(c, 10, 100));
        Assert.Empty(await Messages.ReadAsync(c, 0, 0));
        Assert.Equal(10, await Messages.GetLastSeqAsync(c));

        var m4 = page[0];
        Assert.Equal(Msg(c, 4), m4);
    }

    [Fact]
    public async Task Sent_at_is_stored_as_the_same_instant_in_utc()
    {
        var c = "c-" + Guid.NewGuid();
        var local = new DateTimeOffset(2025, 6, 1, 18, 30, 15, TimeSpan.FromHours(8)).AddTicks(1234567);
        var outcome = await Messages.AppendAsync(Msg(c, 1) with { SentAt = local });
        var read = Assert.Single(await Messages.ReadAsync(c, 0, 1));
        Assert.Equal(outcome.Message, read);
        Assert.Equal(TimeSpan.Zero, read.SentAt.Offset);
        Assert.True((local - read.SentAt).Duration() < TimeSpan.FromMicroseconds(1));
    }

    [Fact]
    public async Task Migrations_are_idempotent_and_safe_when_run_concurrently()
    {
        // The fixture database was never touched: first migration applies everything.
        Assert.Equal(Migrations.All.Count, await Database.MigrateAsync());
        Assert.Equal(0, await Database.MigrateAsync());
        await Database.EnsureSchemaAsync();
        Assert.Equal(HotlineDatabase.LatestSchemaVersion, await Database.GetSchemaVersionAsync());

        await using (var reopened = new HotlineDatabase(Options))
            Assert.Equal(0, await reopened.MigrateAsync());

        // Two "processes" migrating one fresh database at once: exactly one applies it.
        var fresh = await NewDatabaseAsync();
        fresh.SerializeSqliteWrites = false; // no in-process lock: exercise the database-level exclusion.
        var instances = Enumerable.Range(0, 4).Select(_ => new HotlineDatabase(fresh)).ToList();
        try
        {
            var applied = await Task.WhenAll(instances.Select(i => Task.Run(() => i.MigrateAsync())));
            Assert.Equal(Migrations.All.Count, applied.Sum());
            Assert.Equal(HotlineDatabase.LatestSchemaVersion, await instances[0].GetSchemaVersionAsync());
        }
        finally
        {
            foreach (var i in instances) await i.DisposeAsync();
        }
    }

    [Fact]
    public async Task Concurrent_appenders_to_different_consultations()
    {
        const int consultations = 8, perConsultation = 40;
        var ids = Enumerable.Range(0, consultations).Select(i => $"c-{i}-{Guid.NewGuid()}").ToArray();
        var grainId = Grain("busy-" + Guid.NewGuid());
        await Task.WhenAll(ids.Select(c => Task.Run(async () =>
        {
            var state = new GrainState<SampleState>(new SampleState());
            for (var seq = 1; seq <= perConsultation; seq++)
            {
                var outcome = await Messages.AppendAsync(Msg(c, seq));
                Assert.False(outcome.Duplicate);
                if (seq % 10 == 0)
                {
                    state.State!.Counters[c] = seq;
                    await Grains.WriteStateAsync(c, grainId, state);
                }
            }
        })));

        foreach (var c in ids)
        {
            var all = await Messages.ReadAsync(c, 0, 1000);
            Assert.Equal(Enumerable.Range(1, perConsultation).Select(i => (long)i), all.Select(m => m.Seq));
            Assert.Equal(perConsultation, await Messages.GetLastSeqAsync(c));
        }
    }

    [Fact]
    public async Task Many_concurrent_appends_and_state_writes_are_all_readable_after_reopen()
    {
        const int tasks = 48, perTask = 10;
        var c = "c-" + Guid.NewGuid();
        var id = Grain("many-" + Guid.NewGuid());
        var outcomes = await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            var state = new GrainState<SampleState>(new SampleState());
            var list = new List<AppendOutcome>();
            for (var i = 0; i < perTask; i++)
            {
                var seq = t * perTask + i + 1;
                list.Add(await Messages.AppendAsync(Msg(c, seq)));
                state.State!.Counters["n"] = i + 1;
                await Grains.WriteStateAsync($"s{t}", id, state); // every write checks the ETag of the previous one
            }
            return list;
        })));
        Assert.All(outcomes.SelectMany(o => o), o => Assert.False(o.Duplicate));
        await Database.DisposeAsync();

        await using var reopened = new HotlineDatabase(Options);
        var messages = new SqlMessageStore(reopened);
        var grains = new HotlineGrainStorage(reopened);
        var all = await messages.ReadAsync(c, 0, 10_000);
        Assert.Equal(Enumerable.Range(1, tasks * perTask).Select(i => (long)i), all.Select(m => m.Seq));
        Assert.Equal(Msg(c, 77), all[76]);
        for (var t = 0; t < tasks; t++)
        {
            var read = new GrainState<SampleState>(new SampleState());
            await grains.ReadStateAsync($"s{t}", id, read);
            Assert.Equal(perTask, read.State!.Counters["n"]);
        }
        Database = new HotlineDatabase(Options); // for DisposeAsync
    }

    [Fact]
    public async Task Data_survives_a_new_store_instance()
    {
        var c = "c-" + Guid.NewGuid();
        var id = Grain("durable-" + Guid.NewGuid());
        await Messages.AppendAsync(Msg(c, 1));
        await Messages.AppendAsync(Msg(c, 2));
        var state = new GrainState<SampleState>(new SampleState { Name = "kept" });
        await Grains.WriteStateAsync("state", id, state);
        await Database.DisposeAsync();

        await using var reopened = new HotlineDatabase(Options);
        var messages = new SqlMessageStore(reopened);
        var grains = new HotlineGrainStorage(reopened);
        Assert.Equal([Msg(c, 1), Msg(c, 2)], await messages.ReadAsync(c, 0, 10));
        var read = new GrainState<SampleState>(new SampleState());
        await grains.ReadStateAsync("state", id, read);
        Assert.Equal("kept", read.State!.Name);
        Assert.Equal(state.ETag, read.ETag);
        Database = new HotlineDatabase(Options); // for DisposeAsync
    }
}
