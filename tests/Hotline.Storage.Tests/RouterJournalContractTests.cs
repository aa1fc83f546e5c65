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

        Assert.True(await journal.AppendAsync("r1", 1, new List<string> { "a" }) > 0);
        await journal.AppendAsync("r1", 2, new List<string> { "b", "c" });
        await journal.AppendAsync("r2", 1, new List<string> { "other router" });
        Assert.True(await journal.SnapshotAsync("r1", 2, new SampleState { Name = "after two" }) > 0);
        await journal.AppendAsync("r1", 3, new List<string> { "d" });
        // Repeating an append with the same payload is harmless (a retried write); another payload is a second writer.
        await journal.AppendAsync("r1", 3, new List<string> { "d" });
        await Assert.ThrowsAsync<RouterJournalConflictException>(() => journal.AppendAsync("r1", 3, new List<string> { "e" }));

        var loaded = await journal.LoadAsync<SampleState, List<string>>("r1");
        Assert.Equal("after two", loaded.Snapshot!.Name);
        Assert.Equal(2, loaded.SnapshotSeq);
        Assert.Equal([3L], loaded.Batches.Select(b => b.Seq));
        Assert.Equal(["d"], loaded.Batches[0].Batch);

        // An older snapshot never replaces a newer one.
        await journal.SnapshotAsync("r1", 1, new SampleState { Name = "stale" });
        Assert.Equal("after two", (await journal.LoadAsync<SampleState, List<string>>("r1")).Snapshot!.Name);
        Assert.Single((await journal.LoadAsync<SampleState, List<string>>("r2")).Batches);
    }
}
