namespace Hotline.Api.Tests;

/// <summary>Issue 9 "Nobody stranded", routing rules through the public API: the night shift and phone calls that do not starve.</summary>
[Collection(MainCollection.Name)]
public sealed class RoutingLivenessTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const double OfferTimeoutSeconds = 5; // HotlineHost: Hotline:Routing:OfferTimeoutSeconds

    private static Task<Lawyer> Available(TestLawyer lawyer) => lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);

    /// <summary>The lawyer's only connection closes and their grain never hears of it, as when the silo that held it dies.</summary>
    private async Task LoseConnectionUnheard(TestLawyer lawyer)
    {
        using var lost = host.CallFaults.Fail("ILawyerGrain.Disconnected");
        await lawyer.Hub.DisposeAsync();
        await lost.Refused.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task Night_shift_the_only_lawyer_lets_an_offer_lapse_and_gets_it_again_when_available()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var night = await kit.Lawyer([category], dialect);
        await Available(night);
        var worker = await kit.Worker();
        var c = await kit.Open(worker, category, dialect);

        var first = await night.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        Assert.Equal("timeout", (await night.Hub.OffersRevoked.WaitAsync(r => r.ConsultationId == c.Id, Wait)).Reason);
        await night.Hub.LawyerStatuses.WaitAsync(l => l.Status == "away", Wait);

        // Setting itself available is the routing step that offers the same consultation again: the lapsed offer's
        // exclusion (300 s by default) does not apply, as no other lawyer is on duty.
        var before = DateTimeOffset.UtcNow;
        await Available(night);
        var after = DateTimeOffset.UtcNow;
        var again = await night.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id && o.ExpiresAt > first.ExpiresAt, Wait);
        var madeAt = again.ExpiresAt.AddSeconds(-OfferTimeoutSeconds);
        Assert.InRange(madeAt, before.AddSeconds(-1), after.AddSeconds(1));
        var accepted = await night.Hub.AcceptOffer(c.Id);
        Assert.Equal(night.Id, accepted.Consultation.AssignedLawyerId);
    }

    [Fact]
    public async Task Phone_call_is_offered_before_any_younger_chat_despite_a_steady_chat_backlog()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var lawyer = await kit.Lawyer([category], dialect, capacity: 3);
        await Available(lawyer);
        var offered = new List<string>(); // in the order the router offered them; every offer is accepted at once
        var active = new List<string>();

        async Task TakeNextOffer(IReadOnlyCollection<string> mine)
        {
            var taken = offered.ToHashSet(); // the predicate runs on the receiving thread
            var offer = await lawyer.Hub.Offers.WaitAsync(o => mine.Contains(o.ConsultationId) && !taken.Contains(o.ConsultationId), Wait);
            offered.Add(offer.ConsultationId);
            await lawyer.Hub.AcceptOffer(offer.ConsultationId);
            active.Add(offer.ConsultationId);
        }

        async Task<string> OpenChat()
        {
            var worker = await kit.Worker();
            return (await kit.Open(worker, category, dialect)).Id;
        }

        // The lawyer full with chats, then a backlog: two chats older than the call, the call, three chats younger.
        for (var i = 0; i < 3; i++)
        {
            var id = await OpenChat();
            await TakeNextOffer([id]);
        }
        List<string> older = [await OpenChat(), await OpenChat()];
        var call = await kit.Rest.PhoneCall(HotlineHost.GatewayKey, "+8659100000009", category, dialect);
        List<string> younger = [await OpenChat(), await OpenChat(), await OpenChat()];
        List<string> queued = [.. older, call.Id, .. younger];
        // Metrics count waiting consultations per category: other tests' leftovers in this category (another dialect) too.
        int Waiting(MetricsSnapshot m) => m.Queues.FirstOrDefault(q => q.Category == category)?.Waiting ?? 0;
        var others = Waiting(await kit.Rest.GetMetrics(admin)) - queued.Count;

        // Steady work: the lawyer finishes chats one at a time. After each close the router has decided (the close waits
        // for it): when the category's waiting count dropped, one consultation was offered, and it is taken at once.
        var reservedSeen = false;
        while (!offered.Contains(call.Id))
        {
            Assert.True(active.Count > 0, $"every chat closed and the call not offered; offered: {string.Join(", ", offered.Select(id => queued.IndexOf(id)))}");
            var done = active[0];
            active.RemoveAt(0);
            await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [done, "answered", null]);
            var metrics = await kit.Rest.GetMetrics(admin);
            reservedSeen |= metrics.Lawyers.Reserved > 0;
            var waitingNow = Waiting(metrics) - others;
            for (var n = queued.Count(id => !offered.Contains(id)) - waitingNow; n > 0; n--) await TakeNextOffer(queued);
        }

        // Priority then age across channels: the older chats first, then the call, before any younger chat.
        Assert.Equal([.. older, call.Id], offered.Where(queued.Contains));
        Assert.True(reservedSeen, "the lawyer held free for the call shows as reserved in the metrics");
    }

    [Fact]
    public async Task A_router_that_another_activation_moved_past_makes_way_and_nothing_it_was_asked_is_lost()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect, capacity: 2);
        await Available(lawyer);
        // Accepted, so that no offer deadline of this test makes the router write on its own meanwhile.
        var (first, _) = await kit.OpenAndAccept(await kit.Worker(), lawyer, category, dialect);

        // A second activation of the router (a split cluster) writes its first batch as a snapshot of the same state, at the
        // next batch number. Retried while the live router writes first (other tests' deadlines).
        var journal = host.Services.GetRequiredService<Hotline.Abstractions.IRouterJournal>();
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hotline.Domain.RoutingOptions>>().Value;
        async Task<Hotline.Domain.RoutingEngine> Load() => await new Hotline.Grains.RouterLog(journal, "hotline").Load(new Hotline.Domain.RouterState(), options);
        for (var attempt = 0; ; attempt++)
        {
            var data = await journal.LoadAsync<Hotline.Domain.RouterState, Hotline.Grains.RouterBatch>("hotline");
            var seq = data.Batches.Count > 0 ? data.Batches[^1].Seq : data.SnapshotSeq;
            try
            {
                await journal.SnapshotAsync("hotline", seq + 1, (await Load()).State, "another-activation");
                break;
            }
            catch (Hotline.Abstractions.RouterJournalConflictException) when (attempt < 10) { }
        }

        // The live activation's next write is refused: the open it was for answers "unavailable" (try again) and the router
        // makes way; the retry reaches the next activation, which loaded the other's snapshot. Before the writer column the
        // live one appended at the snapshot's own seq, where no load reads it, and went on as if it were stored.
        Consultation? second = null;
        var worker = await kit.Worker();
        for (var attempt = 0; second is null; attempt++)
        {
            try { second = await kit.Open(worker, category, dialect); }
            catch (HotlineApiException e) when (e.Code == "unavailable" && attempt < 20) { await Task.Delay(200); }
        }
        await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == second.Id, Wait);
        var reloaded = await Load();
        Assert.True(reloaded.State.Queue.ContainsKey(second.Id), "the stored router state does not hold the second consultation");
        Assert.Contains(first.Id, reloaded.State.Lawyers[lawyer.Id].Active.Keys);
        await lawyer.Hub.AcceptOffer(second.Id);
        foreach (var id in new[] { first.Id, second.Id }) await TestKit.CloseAnswered(lawyer, id);
    }

    [Fact]
    public async Task A_status_the_router_did_not_get_is_sent_again_until_it_does()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["away"]);

        // The router cannot be reached while the lawyer sets themself available: the call fails, but the status is theirs
        // (stored, shown on their console). Before the retry, the router kept them away for good: nothing republishes a
        // status on its own, and a connect publishes only when it is the lawyer's first connection.
        using (host.CallFaults.Fail("IRouterGrain.UpsertLawyer"))
            Assert.NotNull(await TestKit.HubError(() => Available(lawyer)));
        Assert.Equal("available", (await lawyer.Hub.Invoke<Lawyer>("GetMe", [])).Status);

        var c = await kit.Open(await kit.Worker(), category, dialect);
        await TestKit.TakeAndClose(lawyer, c.Id, Wait);
    }

    [Fact]
    public async Task A_lawyer_who_leaves_while_the_router_cannot_be_told_still_hands_their_chats_back_after_the_grace_period()
    {
        await using var kit = new TestKit(host);
        var active = await kit.ActiveCase();
        var (lawyer, worker, c) = active;

        // The lawyer's last connection closes while the router cannot be told. Before, the failed notice ended the
        // disconnect before its grace period started, and the consultation stayed active with nobody on the other end.
        using (host.CallFaults.Fail("IRouterGrain.UpsertLawyer", "IRouterGrain.LawyerDisconnected"))
        {
            await lawyer.Hub.DisposeAsync();
            // HotlineHost: a 2 s grace period; then the consultation goes back to the queue for another lawyer.
            await worker.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == c.Id && s.Status == "queued", Wait);
        }
        // The router is told once it can be: the lawyer is offline to routing, so the waiting consultation goes to another.
        var other = await kit.Lawyer([active.Category], active.Dialect);
        await Available(other);
        await TestKit.TakeAndClose(other, c.Id, Wait);
    }

    [Fact]
    public async Task After_a_router_restart_an_offer_whose_call_was_lost_is_shown_to_its_lawyer()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect);
        await Available(lawyer);
        // The reconciliation would also find the lost offer (at its next pass): held off, so that this tests the restart.
        using var noReconciliation = host.CallFaults.Fail("IConsultationGrain.CheckConsistency");

        // The router makes the offer durable, and its one-way call that tells the consultation is lost (as when its
        // activation dies right after the journal write): nobody shows the lawyer the offer.
        Consultation c;
        using (var lost = host.CallFaults.Fail("IConsultationGrain.OnOffered"))
        {
            c = await kit.Open(await kit.Worker(), category, dialect);
            await lost.Refused.Task.WaitAsync(Wait);
        }
        Assert.DoesNotContain(lawyer.Hub.Offers.Items, o => o.ConsultationId == c.Id);

        // The router's next activation tells the consultation again, which shows the lawyer the offer, within its
        // deadline. Before, it lapsed unseen and the lawyer was set away for an offer they were never shown.
        var router = host.Services.GetRequiredService<IGrainFactory>().GetGrain<Hotline.Abstractions.IRouterGrain>("hotline");
        await router.AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await lawyer.Hub.Invoke<List<Consultation>>("GetQueue", []); // a call that wakes the router
        var offer = await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        Assert.True(offer.ExpiresAt > DateTimeOffset.UtcNow);

        // Once more: the consultation has shown it, but the push may have been lost with the silo that held the lawyer's
        // connection, so a new router activation has it shown again, same deadline.
        var seen = 0;
        var again = lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id && ++seen == 2, Wait);
        await router.AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await lawyer.Hub.Invoke<List<Consultation>>("GetQueue", []);
        Assert.Equal(offer.ExpiresAt, (await again).ExpiresAt);
        await lawyer.Hub.AcceptOffer(c.Id);
        await TestKit.CloseAnswered(lawyer, c.Id);
    }

    [Fact]
    public async Task An_offer_of_a_consultation_that_already_ended_is_withdrawn_at_once_and_costs_the_lawyer_nothing()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["away"]);
        var worker = await kit.Worker();
        var c = await kit.Open(worker, category, dialect);
        // The reconciliation would also drop the stale entry (at its next pass): held off, so that this tests the refusal.
        using var noReconciliation = host.CallFaults.Fail("IConsultationGrain.CheckConsistency");

        // The worker gives up; the consultation is written abandoned first, then the router should drop it, and cannot.
        using (host.CallFaults.Fail("IRouterGrain.Remove"))
            await TestKit.HubError(() => worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, null, null]));
        Assert.Equal("abandoned", (await kit.Rest.GetConsultation(worker.Token, c.Id)).Status);

        // The router offers its stale entry to the lawyer who becomes available. The consultation refuses it and has the
        // router drop it at once: before, the offer lapsed unseen at its deadline and set the lawyer away.
        await Available(lawyer);
        var revoked = await lawyer.Hub.OffersRevoked.WaitAsync(r => r.ConsultationId == c.Id, Wait);
        Assert.NotEqual("timeout", revoked.Reason);
        Assert.Equal("available", (await lawyer.Hub.Invoke<Lawyer>("GetMe", [])).Status);
    }

    [Fact]
    public async Task A_lawyer_whose_grain_died_with_their_only_connection_is_found_by_the_routers_periodic_check()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var router = grains.GetGrain<Hotline.Abstractions.IRouterGrain>("hotline");
        async Task<Hotline.Domain.LawyerStatus> InRouter() => (await router.GetLoad()).LawyerStates.Single(l => l.LawyerId == lawyer.Id).Status;

        // One silo held the lawyer's grain and their only connection, and died: the grain never heard the disconnect, the
        // router was not told, and nobody renews the connection. Nothing else would ever wake that lawyer's grain.
        await LoseConnectionUnheard(lawyer);
        await grains.GetGrain<Hotline.Abstractions.ILawyerGrain>(lawyer.Id).AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(Hotline.Domain.LawyerStatus.Available, await InRouter());

        // The router's periodic check (its one-minute reminder) asks the lawyers it holds online to confirm. The grain finds
        // no connection re-asserted within 15 s: the lawyer goes offline to routing and their chat back to the queue
        // after the grace period. Before, they stayed available with the chat assigned, for good.
        await router.AsReference<IRemindable>().ReceiveReminder("tick", new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));
        await worker.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == c.Id && s.Status == "queued", Wait);
        await Hotline.Testing.Wait.Until(async () => await InRouter() == Hotline.Domain.LawyerStatus.Offline, TimeSpan.FromSeconds(30), () => "the lawyer is still online to routing");
        await worker.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, null, null]);
    }

    [Fact]
    public async Task An_offer_pushed_while_the_lawyers_connection_was_gone_is_shown_on_their_next_connection()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lawyer = await kit.Lawyer([category], dialect);
        await Available(lawyer);
        var router = host.Services.GetRequiredService<IGrainFactory>().GetGrain<Hotline.Abstractions.IRouterGrain>("hotline");

        // The lawyer's connection dies without their grain hearing of it (the silo that held it died): the router still
        // counts them available, and the offer it makes is pushed to no one.
        await LoseConnectionUnheard(lawyer);
        var c = await kit.Open(await kit.Worker(), category, dialect);
        await Hotline.Testing.Wait.Until(async () => (await router.GetEntry(c.Id)).OfferedTo == lawyer.Id, Wait, () => "the router made no offer");

        // The console reconnects: the open offer is shown on the new connection, within its deadline. Before, it lapsed
        // unseen and the lawyer was set away for an offer they were never shown.
        var again = await kit.Start(HotlineConnection.Lawyer(kit.BaseUrl, lawyer.Token));
        await again.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        await again.AcceptOffer(c.Id);
        await again.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", "closed by the test", null]);
    }
}
