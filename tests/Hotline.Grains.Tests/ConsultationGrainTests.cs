using Hotline.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hotline.Grains.Tests;

[Collection(nameof(ClusterCollection))]
public sealed class ConsultationGrainTests(ClusterFixture fixture)
{
    private static RecordingNotifier Pushes => ClusterFixture.Notifier;
    private IGrainFactory Grains => fixture.Grains;

    /// <summary>Each test routes in its own category so that tests sharing the router do not steal each other's lawyers.</summary>
    private static string UniqueCategory() => "cat-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<string> Lawyer(string category, string dialect = "minnan", int capacity = 2)
    {
        var username = "t" + Guid.NewGuid().ToString("N")[..10];
        var id = GrainKeys.LawyerId(username);
        var grain = Grains.GetGrain<ILawyerGrain>(id);
        await grain.Register(new LawyerProfile
        {
            Username = username, DisplayName = "律师 " + username, PasswordHash = "x",
            Skills = [category], Dialects = [dialect], Capacity = capacity,
        }, overwrite: false);
        await grain.Connected("conn-" + username);
        return id;
    }

    private async Task<(string Id, string Worker)> Open(string category, string dialect = "minnan")
    {
        var id = "c-" + Guid.NewGuid().ToString("N");
        var worker = "w-" + Guid.NewGuid().ToString("N");
        await Grains.GetGrain<IConsultationGrain>(id).Open(new OpenConsultation { WorkerId = worker, Category = category, Dialect = dialect, Summary = "拖欠工资" });
        return (id, worker);
    }

    /// <summary>A consultation of a fresh category accepted by its only eligible lawyer.</summary>
    private async Task<(IConsultationGrain Grain, string Lawyer, string Worker, string Category)> Active()
    {
        var category = UniqueCategory();
        var lawyer = await Lawyer(category);
        var (id, worker) = await Open(category);
        await Pushes.WaitFor<OfferEvent>("lawyer", lawyer, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);
        var grain = Grains.GetGrain<IConsultationGrain>(id);
        await grain.Accept(LawyerCaller(lawyer));
        return (grain, lawyer, worker, category);
    }

    private static Caller WorkerCaller(string id) => new(ParticipantRole.Worker, id, "工人");
    private static Caller LawyerCaller(string id) => new(ParticipantRole.Lawyer, id, "律师");

    [Fact]
    public async Task Eligible_lawyer_gets_the_offer_and_accepting_makes_the_consultation_active()
    {
        var category = UniqueCategory();
        var lawyer = await Lawyer(category);
        var (id, worker) = await Open(category);

        var offer = await Pushes.WaitFor<OfferEvent>("lawyer", lawyer, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);
        Assert.Equal(category, offer.Category);
        Assert.True(offer.ExpiresAt > DateTimeOffset.UtcNow.AddMilliseconds(-500));

        var joined = await Grains.GetGrain<IConsultationGrain>(id).Accept(LawyerCaller(lawyer));
        Assert.Equal(ConsultationStatus.Active, joined.Consultation.Status);
        Assert.Equal(lawyer, joined.Consultation.AssignedLawyerId);
        await Pushes.WaitFor<AssignedEvent>("worker", worker, nameof(IWorkerClient.Assigned), a => a.ConsultationId == id);
    }

    [Fact]
    public async Task Messages_get_gap_free_seq_and_a_repeated_client_id_is_stored_once()
    {
        var (grain, lawyer, worker, _) = await Active();

        var first = await grain.SendMessage(WorkerCaller(worker), "m1", "老板欠我三个月工资");
        var second = await grain.SendMessage(LawyerCaller(lawyer), "m2", "请保留考勤记录");
        var again = await grain.SendMessage(WorkerCaller(worker), "m1", "老板欠我三个月工资");

        Assert.Equal([1L, 2L], [first.Seq, second.Seq]);
        Assert.True(again.Duplicate);
        Assert.Equal(1, again.Seq);
        var messages = await grain.GetMessages(WorkerCaller(worker), 0, 100);
        Assert.Equal([1L, 2L], messages.Select(m => m.Seq));
        Assert.Equal(2, (await grain.GetView()).LastSeq);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_resent_client_id_is_stored_once_after_a_deactivation_and_when_this_activation_did_not_know_of_it(bool earlyDelivery)
    {
        // No index finds a repeated clientMessageId in the message table (migration 5): the grain does, from its
        // consultation's messages read before its first append, and the seq key does for a writer with a stale view.
        var options = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IOptions<MessageOptions>>().Value;
        var (grain, _, worker, _) = await Active();
        var id = grain.GetPrimaryKeyString();
        options.EarlyDelivery = earlyDelivery;
        try
        {
            Assert.Equal(1, (await grain.SendMessage(WorkerCaller(worker), "m1", "one")).Seq);
            await fixture.Cluster.DeactivateAsync(grain);
            Assert.Equal((1L, true), Ack(await grain.SendMessage(WorkerCaller(worker), "m1", "one")));

            // A second activation (two during a failover) stored two of the worker's messages this one has not read, "y" at
            // seq 2 and "x" at 3, and neither ack reached the worker, who resends both, "x" first. This activation tries
            // seq 2 for "x", meets "y" there, and gets "x" back from seq 3; it must then re-read before taking another seq,
            // or the resend of "y" would find seq 4 free and store "y" twice.
            var store = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<SqlMessageStore>();
            var at = StoredMessage.StoredInstant(DateTimeOffset.UtcNow);
            await store.AppendAsync(new StoredMessage(id, 2, ParticipantRole.Worker, worker, "工人", "y", at, "y"));
            await store.AppendAsync(new StoredMessage(id, 3, ParticipantRole.Worker, worker, "工人", "x", at, "x"));
            Assert.Equal((3L, true), Ack(await grain.SendMessage(WorkerCaller(worker), "x", "x")));
            Assert.Equal((2L, true), Ack(await grain.SendMessage(WorkerCaller(worker), "y", "y")));
            Assert.Equal((4L, false), Ack(await grain.SendMessage(WorkerCaller(worker), "m4", "four")));
        }
        finally
        {
            options.EarlyDelivery = true;
        }
        var stored = await fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<SqlMessageStore>().ReadAsync(id, 0, 100);
        Assert.Equal([("m1", 1L), ("y", 2L), ("x", 3L), ("m4", 4L)], stored.Select(m => (m.ClientMessageId, m.Seq)));
    }

    private static (long Seq, bool Duplicate) Ack(MessageAck ack) => (ack.Seq, ack.Duplicate);

    [Fact]
    public async Task Strangers_cannot_read_or_write_and_bad_input_changes_nothing()
    {
        var category = UniqueCategory();
        var (id, worker) = await Open(category);
        var grain = Grains.GetGrain<IConsultationGrain>(id);

        var forbidden = await Assert.ThrowsAsync<HotlineException>(() => grain.Join(WorkerCaller("w-someone-else"), 0));
        Assert.Equal(HotlineException.Codes.Forbidden, forbidden.Code);
        await Assert.ThrowsAsync<HotlineException>(() => grain.SendMessage(LawyerCaller("lw-stranger"), "x", "hi"));

        var tooLong = await Assert.ThrowsAsync<HotlineException>(() => grain.SendMessage(WorkerCaller(worker), "x", new string('字', 4001)));
        Assert.Equal(HotlineException.Codes.Validation, tooLong.Code);
        var empty = await Assert.ThrowsAsync<HotlineException>(() => grain.SendMessage(WorkerCaller(worker), "y", "   "));
        Assert.Equal(HotlineException.Codes.Validation, empty.Code);
        Assert.Equal(0, (await grain.GetView()).LastSeq);
    }

    [Fact]
    public async Task Offer_times_out_to_the_next_lawyer_and_the_silent_one_is_set_away()
    {
        var category = UniqueCategory();
        var first = await Lawyer(category);
        var (id, _) = await Open(category);
        await Pushes.WaitFor<OfferEvent>("lawyer", first, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);
        var second = await Lawyer(category);

        var revoked = await Pushes.WaitFor<OfferRevokedEvent>("lawyer", first, nameof(ILawyerClient.OfferRevoked), r => r.ConsultationId == id);
        Assert.Equal(OfferRevokeReason.Timeout, revoked.Reason);
        await Pushes.WaitFor<OfferEvent>("lawyer", second, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);
        await Pushes.WaitFor<LawyerView>("lawyer", first, nameof(ILawyerClient.LawyerStatus), v => v.Status == LawyerStatus.Away);
    }

    [Fact]
    public async Task Offer_deadline_survives_a_router_deactivation()
    {
        var category = UniqueCategory();
        var first = await Lawyer(category);
        var (id, _) = await Open(category);
        await Pushes.WaitFor<OfferEvent>("lawyer", first, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);

        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IRouterGrain>(GrainKeys.Hotline));
        var second = await Lawyer(category); // wakes the router again, which catches up on the deadline

        var revoked = await Pushes.WaitFor<OfferRevokedEvent>("lawyer", first, nameof(ILawyerClient.OfferRevoked), r => r.ConsultationId == id);
        Assert.Equal(OfferRevokeReason.Timeout, revoked.Reason);
        await Pushes.WaitFor<OfferEvent>("lawyer", second, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);
    }

    [Fact]
    public async Task Consultation_state_and_messages_survive_grain_deactivation()
    {
        var (grain, lawyer, worker, _) = await Active();
        await grain.SendMessage(WorkerCaller(worker), "a", "one");

        await fixture.Cluster.DeactivateAsync(grain);
        var ack = await grain.SendMessage(LawyerCaller(lawyer), "b", "two");

        Assert.Equal(2, ack.Seq);
        var view = await grain.GetView();
        Assert.Equal(ConsultationStatus.Active, view.Status);
        Assert.Equal(lawyer, view.AssignedLawyerId);
    }

    [Fact]
    public async Task Lawyer_who_stays_away_past_the_grace_period_loses_active_consultations_to_the_queue()
    {
        var (grain, lawyer, _, category) = await Active();
        var id = grain.GetPrimaryKeyString();

        await Grains.GetGrain<ILawyerGrain>(lawyer).Disconnected("conn-" + lawyer["lw-".Length..]);
        var other = await Lawyer(category);

        await Pushes.WaitFor<OfferEvent>("lawyer", other, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);
        Assert.NotEqual(ConsultationStatus.Active, (await Grains.GetGrain<IConsultationGrain>(id).GetView()).Status);
    }

    [Fact]
    public async Task A_silo_renewal_restores_an_unknown_connection_but_never_a_closed_one()
    {
        var lawyer = await Lawyer(UniqueCategory());
        var grain = Grains.GetGrain<ILawyerGrain>(lawyer);
        var connection = "conn-" + lawyer["lw-".Length..];

        await grain.Disconnected(connection);
        await grain.RenewConnection(connection); // a renewal racing the close
        Assert.Equal(LawyerStatus.Offline, (await grain.GetView()).Status);

        await grain.RenewConnection("conn-after-failover"); // a connection this activation never saw
        Assert.Equal(LawyerStatus.Available, (await grain.GetView()).Status);
    }

    [Fact]
    public async Task Worker_closing_a_waiting_consultation_abandons_it_and_frees_the_queue()
    {
        var category = UniqueCategory();
        var (id, worker) = await Open(category);
        var view = await Grains.GetGrain<IConsultationGrain>(id).CloseByWorker(WorkerCaller(worker), null, null);
        Assert.Equal(ConsultationStatus.Abandoned, view.Status);
        var load = await Grains.GetGrain<IRouterGrain>(GrainKeys.Hotline).GetLoad();
        Assert.DoesNotContain(load.Categories, c => c.Category == category && c.Waiting > 0);
        var conflict = await Assert.ThrowsAsync<HotlineException>(() => Grains.GetGrain<IConsultationGrain>(id).SendMessage(WorkerCaller(worker), "z", "hello"));
        Assert.Equal(HotlineException.Codes.Conflict, conflict.Code);
    }

    [Fact]
    public async Task A_repair_that_gives_an_active_consultation_to_another_lawyer_ends_the_first_ones_reading_at_that_point()
    {
        var (grain, first, worker, category) = await Active();
        var id = grain.GetPrimaryKeyString();
        await grain.SendMessage(WorkerCaller(worker), "m-1", "第一条");
        var second = await Lawyer(category);

        // The router holds it active with the second lawyer (a crash between its step and this grain's), and the
        // reconciliation's repair tells the consultation so, as the router's own push would.
        await grain.OnAssigned(second, "律师 B", 0);
        await Pushes.WaitFor<AssignedEvent>("lawyer", second, nameof(ILawyerClient.Assigned), a => a.ConsultationId == id);
        await grain.SendMessage(WorkerCaller(worker), "m-2", "第二条");

        // The first lawyer left it at seq 1, as on a transfer: what came after is not theirs.
        Assert.Equal([1L], (await grain.GetMessages(LawyerCaller(first), 0, 100)).Select(m => m.Seq));
        Assert.Equal([1L, 2L], (await grain.GetMessages(LawyerCaller(second), 0, 100)).Select(m => m.Seq));
        await grain.CloseByLawyer(LawyerCaller(second), Resolution.Answered, null, null);
    }

    [Fact]
    public async Task An_offer_the_reconciliation_recorded_before_the_routers_own_call_arrived_is_shown_once()
    {
        var category = UniqueCategory();
        var lawyer = await Lawyer(category);
        var id = "c-" + Guid.NewGuid().ToString("N");
        var grain = Grains.GetGrain<IConsultationGrain>(id);

        // The router offers it; its one-way call that tells the consultation is held back (here: it fails), so the
        // reconciliation finds the router's offer unrecorded and records it, which shows it to the lawyer.
        using (var held = ClusterFixture.CallFaults.Fail("IConsultationGrain.OnOffered"))
        {
            await grain.Open(new OpenConsultation { WorkerId = "w-" + Guid.NewGuid().ToString("N"), Category = category, Dialect = "minnan", Summary = "拖欠工资" });
            await held.Refused.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
        Assert.Equal(ConsistencyRepair.RecordOffer, (await grain.CheckConsistency(repair: true))?.Repair);
        var offer = await Pushes.WaitFor<OfferEvent>("lawyer", lawyer, nameof(ILawyerClient.Offer), o => o.ConsultationId == id);

        // Then the router's own call arrives, with the same offer. Before, the lawyer was shown it a second time (and a
        // client that takes each offer it is shown accepted it twice).
        var served = ClusterFixture.CallFaults.Served(id, "IConsultationGrain.OnOffered");
        await grain.OnOffered(lawyer, offer.ExpiresAt);
        await served.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Single(Pushes.All, p => p.Audience == "lawyer" && p.Id == lawyer && p.Payload is OfferEvent o && o.ConsultationId == id);
        await grain.Accept(LawyerCaller(lawyer));
        await grain.CloseByLawyer(LawyerCaller(lawyer), Resolution.Answered, null, null);
    }

    [Fact]
    public async Task An_open_repeated_by_its_endpoint_answers_the_consultation_it_opened()
    {
        var category = UniqueCategory();
        var id = "c-" + Guid.NewGuid().ToString("N");
        var command = new OpenConsultation { WorkerId = "w-" + Guid.NewGuid().ToString("N"), Category = category, Dialect = "minnan", Summary = "拖欠工资" };
        var grain = Grains.GetGrain<IConsultationGrain>(id);
        var first = await grain.Open(command);

        // Its answer was lost with a silo and the endpoint repeats the call: before, the repeat answered a conflict, and
        // the phone gateway got no id for a call that was queued all the same.
        var again = await grain.Open(command);
        Assert.Equal((first.Id, first.WorkerId, ConsultationStatus.Queued), (again.Id, again.WorkerId, again.Status));
        // Another worker's open under the same id is still refused.
        var other = await Assert.ThrowsAsync<HotlineException>(() => grain.Open(command with { WorkerId = "w-other" }));
        Assert.Equal(HotlineException.Codes.Conflict, other.Code);
        await grain.CloseByWorker(WorkerCaller(command.WorkerId), null, null);
    }
}
