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

    [Fact]
    public async Task An_erase_that_fails_half_way_is_finished_by_its_reminder_and_nothing_new_is_added_meanwhile()
    {
        var workerId = "erase-" + Guid.NewGuid().ToString("N")[..8];
        var worker = fixture.Grains.GetGrain<IWorkerGrain>(workerId);
        await worker.Register("Zhao Qi", null);
        var category = "erase-" + Guid.NewGuid().ToString("N")[..6];
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var id = "c-" + Guid.NewGuid().ToString("N");
            await fixture.Grains.GetGrain<IConsultationGrain>(id).Open(new OpenConsultation { WorkerId = workerId, Category = category, Dialect = "mandarin", Summary = "拖欠工资 " + i });
            ids.Add(id);
        }

        // The first consultation's texts cannot be erased: the erase stops there, with the worker's tokens already dead.
        Faults.FailNextErase();
        await Assert.ThrowsAnyAsync<Exception>(() => worker.Erase());
        Assert.Equal(-1, await worker.GetTokenVersion());
        Assert.Equal(ids, await worker.GetConsultationIds());
        Assert.NotEqual("", (await fixture.Grains.GetGrain<IConsultationGrain>(ids[1]).GetView()).Summary);
        // A consultation opened meanwhile with a token still cached is refused, and ends abandoned and erased.
        var late = "c-" + Guid.NewGuid().ToString("N");
        var refused = await Assert.ThrowsAsync<HotlineException>(() =>
            fixture.Grains.GetGrain<IConsultationGrain>(late).Open(new OpenConsultation { WorkerId = workerId, Category = category, Dialect = "mandarin", Summary = "late" }));
        Assert.Equal(HotlineException.Codes.Forbidden, refused.Code);
        var lateView = await fixture.Grains.GetGrain<IConsultationGrain>(late).GetView();
        Assert.Equal(ConsultationStatus.Abandoned, lateView.Status);
        Assert.Equal("", lateView.Summary);

        // The worker cannot ask again; the erase reminder's tick (called here as Orleans calls it: its period is a minute)
        // finishes the erase.
        await worker.AsReference<IRemindable>().ReceiveReminder("erase", new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));
        Assert.Empty(await worker.GetConsultationIds());
        foreach (var id in ids)
        {
            var view = await fixture.Grains.GetGrain<IConsultationGrain>(id).GetView();
            Assert.Equal(ConsultationStatus.Abandoned, view.Status);
            Assert.Equal("", view.Summary);
        }
    }
}
