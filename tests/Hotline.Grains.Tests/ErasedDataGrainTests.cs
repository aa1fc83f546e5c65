namespace Hotline.Grains.Tests;

/// <summary>
/// An erase ends with one scrub of the store (<see cref="IMessageStore.ScrubErasedAsync"/>: SQLite copies the WAL into the
/// database and truncates it), so no frame holding the overwritten data waits for the writer's next checkpoint; a scrub
/// that fails leaves the erase standing. The scrubs are counted by <see cref="FailingMessageStore"/> in front of the
/// real store.
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class ErasedDataGrainTests(ClusterFixture fixture)
{
    private static StoreFaults Faults => ClusterFixture.StoreFaults;

    [Fact]
    public async Task A_workers_erase_scrubs_the_store_and_stands_when_the_scrub_fails()
    {
        var worker = fixture.Grains.GetGrain<IWorkerGrain>("erase-" + Guid.NewGuid().ToString("N")[..8]);
        await worker.Register("Wang Wu", "13912345678");
        var before = Faults.Scrubs;
        Assert.Equal(0, await worker.Erase());
        Assert.True(Faults.Scrubs > before, "the worker's erase did not scrub the store");
        Assert.Equal(-1, await worker.GetTokenVersion());

        var second = fixture.Grains.GetGrain<IWorkerGrain>("erase-" + Guid.NewGuid().ToString("N")[..8]);
        await second.Register("Li Liu", null);
        Faults.FailNextScrub();
        Assert.Equal(0, await second.Erase());
        Assert.Equal(-1, await second.GetTokenVersion());
    }
}
