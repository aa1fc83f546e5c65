using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>A registered worker of this test alone with two consultations of a category of its own (closed by them, or waiting).</summary>
    private async Task<(string Id, IWorkerGrain Grain, string Category, List<string> Consultations)> WorkerWithTwoConsultations(string name, bool closed)
    {
        var workerId = "erase-" + Guid.NewGuid().ToString("N")[..8];
        var worker = fixture.Grains.GetGrain<IWorkerGrain>(workerId);
        await worker.Register(name, null);
        var category = "erase-" + Guid.NewGuid().ToString("N")[..6];
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var id = "c-" + Guid.NewGuid().ToString("N");
            var consultation = fixture.Grains.GetGrain<IConsultationGrain>(id);
            await consultation.Open(new OpenConsultation { WorkerId = workerId, Category = category, Dialect = "mandarin", Summary = "拖欠工资 " + i });
            if (closed) await consultation.CloseByWorker(new Caller(ParticipantRole.Worker, workerId, name), null, null);
            ids.Add(id);
        }
        return (workerId, worker, category, ids);
    }

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
        var (workerId, worker, category, ids) = await WorkerWithTwoConsultations("Zhao Qi", closed: false);

        // The first consultation's texts cannot be erased: the erase goes on with the second, keeps the first for its
        // reminder, and the worker's tokens are dead all the same.
        Faults.FailNextErase(ids[0]);
        Assert.Equal(2, await worker.Erase());
        Assert.Equal(-1, await worker.GetTokenVersion());
        Assert.Equal([ids[0]], await worker.GetConsultationIds());
        var reminders = fixture.Cluster.Silos[0].SiloHost.Services.GetRequiredService<Orleans.IReminderTable>();
        Assert.NotNull(await reminders.ReadRow(worker.GetGrainId(), "erase"));
        Assert.Equal("", (await fixture.Grains.GetGrain<IConsultationGrain>(ids[1]).GetView()).Summary);
        Assert.NotEqual("", (await fixture.Grains.GetGrain<IConsultationGrain>(ids[0]).GetView()).Summary);
        // A consultation opened meanwhile with a token still cached is refused, and ends abandoned and erased.
        var late = "c-" + Guid.NewGuid().ToString("N");
        var refused = await Assert.ThrowsAsync<HotlineException>(() =>
            fixture.Grains.GetGrain<IConsultationGrain>(late).Open(new OpenConsultation { WorkerId = workerId, Category = category, Dialect = "mandarin", Summary = "late" }));
        Assert.Equal(HotlineException.Codes.Forbidden, refused.Code);
        var lateView = await fixture.Grains.GetGrain<IConsultationGrain>(late).GetView();
        Assert.Equal(ConsultationStatus.Abandoned, lateView.Status);
        Assert.Equal("", lateView.Summary);
        // The worker keeps it under the erase too, for the reminder, should erasing it at once have failed.
        Assert.Equal([ids[0], late], await worker.GetConsultationIds());

        // The worker cannot ask again; the erase reminder's tick (called here as Orleans calls it: its period is a minute)
        // finishes the erase.
        await worker.AsReference<IRemindable>().ReceiveReminder("erase", new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));
        Assert.Empty(await worker.GetConsultationIds());
        Assert.Null(await reminders.ReadRow(worker.GetGrainId(), "erase")); // the finished erase unregistered it
        foreach (var id in ids.Append(late))
        {
            var view = await fixture.Grains.GetGrain<IConsultationGrain>(id).GetView();
            Assert.Equal(ConsultationStatus.Abandoned, view.Status);
            Assert.Equal("", view.Summary);
        }
    }

    [Fact]
    public async Task A_workers_record_loses_its_name_only_once_every_one_of_their_consultations_is_purged()
    {
        var (workerId, worker, _, ids) = await WorkerWithTwoConsultations("Sun Ba", closed: true);
        var due = DateTimeOffset.UtcNow.AddDays(1);

        // As the retention job does: purge, then tell the worker the consultation named.
        var first = await fixture.Grains.GetGrain<IConsultationGrain>(ids[0]).Purge(due);
        Assert.Equal(new PurgeResult(true, workerId), first);
        await worker.OnConsultationPurged(ids[0]);
        Assert.Equal("Sun Ba", await worker.GetDisplayName()); // the other consultation is still theirs to resume

        // A run that stopped before telling the worker is repeated: the purged consultation names its worker again.
        Assert.Equal(new PurgeResult(false, workerId), await fixture.Grains.GetGrain<IConsultationGrain>(ids[0]).Purge(due));
        Assert.Equal(new PurgeResult(true, workerId), await fixture.Grains.GetGrain<IConsultationGrain>(ids[1]).Purge(due));
        await worker.OnConsultationPurged(ids[1]);
        Assert.Null(await worker.GetDisplayName());
        Assert.Equal(ids, await worker.GetConsultationIds()); // the worker still sees what they asked, blanked
        // Not due yet: nothing, and nobody to tell.
        Assert.Equal(new PurgeResult(false, null), await fixture.Grains.GetGrain<IConsultationGrain>(ids[1]).Purge(DateTimeOffset.UtcNow.AddDays(-1)));
    }
}
