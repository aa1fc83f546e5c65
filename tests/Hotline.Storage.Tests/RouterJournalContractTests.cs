namespace Hotline.Storage.Tests;

/// <summary>Issue 14: the router journal (<see cref="SqlRouterJournal"/>), on SQLite and PostgreSQL alike.</summary>
public abstract partial class StorageContractTests
{
    [Fact]
    public async Task Router_journal_loads_the_snapshot_and_the_batches_after_it_and_refuses_a_taken_seq()
    {
        var journal = new SqlRouterJournal(Database);
        var empty = await journal.LoadAsync<SampleState, List<string>>("r1");
        Assert.Null(empty.Snapshot);
        Assert.Equal(0, empty.SnapshotSeq);
        Assert.Empty(empty.Batches);

        Assert.True(await journal.AppendAsync("r1", 1, new List<string> { "a" }, "w1") > 0);
        await journal.AppendAsync("r1", 2, new List<string> { "b", "c" }, "w1");
        await journal.AppendAsync("r2", 1, new List<string> { "other router" }, "w9");
        Assert.True(await journal.SnapshotAsync("r1", 2, new SampleState { Name = "after two" }, "w1") > 0);
        await journal.AppendAsync("r1", 3, new List<string> { "d" }, "w1");
        // Repeating an append with the same payload is harmless (a retried write); another payload or writer is a second writer.
        await journal.AppendAsync("r1", 3, new List<string> { "d" }, "w1");
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => journal.AppendAsync("r1", 3, new List<string> { "e" }, "w1"));
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => journal.AppendAsync("r1", 3, new List<string> { "d" }, "w2"));

        var loaded = await journal.LoadAsync<SampleState, List<string>>("r1");
        Assert.Equal("after two", loaded.Snapshot!.Name);
        Assert.Equal(2, loaded.SnapshotSeq);
        Assert.Equal([3L], loaded.Batches.Select(b => b.Seq));
        Assert.Equal(["d"], loaded.Batches[0].Batch);

        // An older snapshot never replaces a newer one: it is refused.
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => journal.SnapshotAsync("r1", 1, new SampleState { Name = "stale" }, "w1"));
        Assert.Equal("after two", (await journal.LoadAsync<SampleState, List<string>>("r1")).Snapshot!.Name);
        Assert.Single((await journal.LoadAsync<SampleState, List<string>>("r2")).Batches);
    }

    [Fact]
    public async Task Router_journal_refuses_a_writer_whose_view_another_writer_has_moved_past()
    {
        var journal = new SqlRouterJournal(Database);
        await journal.AppendAsync("r", 1, new List<string> { "a" }, "old");
        await journal.AppendAsync("r", 2, new List<string> { "b" }, "old");

        // A second activation read seq 2 and wrote its first snapshot at 3 (dropping 1-2). The first one, still at 2, must not
        // append 3: the row is free, but a load would skip it (seq <= snapshot) as if it never ran.
        await journal.SnapshotAsync("r", 3, new SampleState { Name = "new at 3" }, "new");
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => journal.AppendAsync("r", 3, new List<string> { "stale" }, "old"));
        // Nor may it snapshot at 3 (the same seq by another writer), or at 4 over the other's batch there. (A writer never
        // skips a seq: the router's log writes seq n + 1 only after n was stored, so "old" can only be behind.)
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => journal.SnapshotAsync("r", 3, new SampleState { Name = "stale at 3" }, "old"));
        await journal.AppendAsync("r", 4, new List<string> { "c" }, "new");
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => journal.SnapshotAsync("r", 4, new SampleState { Name = "stale at 4" }, "old"));
        var loaded = await journal.LoadAsync<SampleState, List<string>>("r");
        Assert.Equal(("new at 3", 3L), (loaded.Snapshot!.Name, loaded.SnapshotSeq));
        Assert.Equal([(4L, "c")], loaded.Batches.Select(b => (b.Seq, b.Batch.Single())));

        // A writer's own batch at the seq of its snapshot (an append whose answer was lost) is covered by the snapshot; a
        // snapshot repeated by its own writer (its answer lost too) stands.
        await journal.AppendAsync("r", 5, new List<string> { "d" }, "new");
        await journal.SnapshotAsync("r", 5, new SampleState { Name = "new at 5" }, "new");
        await journal.SnapshotAsync("r", 5, new SampleState { Name = "new at 5" }, "new");
        loaded = await journal.LoadAsync<SampleState, List<string>>("r");
        Assert.Equal(("new at 5", 5L), (loaded.Snapshot!.Name, loaded.SnapshotSeq));
        Assert.Empty(loaded.Batches);
    }
}
