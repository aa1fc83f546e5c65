namespace Hotline.Api.Tests;

/// <summary>Issue 3, tests 4-7 and 11: timeouts, declines, transfers, lost lawyers, phone intake.</summary>
[Collection(MainCollection.Name)]
public sealed class RoutingTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    /// <summary>Two lawyers of a fresh category and a worker's consultation offered to one of them (whichever got it).</summary>
    private static async Task<(TestWorker Worker, Consultation Consultation, TestLawyer First, TestLawyer Second, OfferEvent Offer)> OfferedToOneOfTwo(TestKit kit)
    {
        var (category, dialect) = TestKit.Combo();
        var a = await kit.Lawyer([category], dialect);
        var b = await kit.Lawyer([category], dialect);
        var worker = await kit.Worker();
        var c = await kit.Open(worker, category, dialect);
        var ta = a.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        var tb = b.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        var first = await Task.WhenAny(ta, tb);
        return first == ta ? (worker, c, a, b, await ta) : (worker, c, b, a, await tb);
    }

    [Fact]
    public async Task Offer_times_out_goes_to_the_next_lawyer_and_the_first_is_set_away()
    {
        await using var kit = new TestKit(host);
        var (_, c, first, second, offer) = await OfferedToOneOfTwo(kit);
        Assert.Empty(second.Hub.Offers.Items);
        var revoked = await first.Hub.OffersRevoked.WaitAsync(r => r.ConsultationId == c.Id, Wait);
        Assert.Equal("timeout", revoked.Reason);
        var next = await second.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        Assert.True(DateTimeOffset.UtcNow >= offer.ExpiresAt.AddSeconds(-0.5), "re-offered before the first deadline");
        Assert.True(next.ExpiresAt > offer.ExpiresAt);
        Assert.True(next.WaitedSeconds >= 4, $"waitedSeconds {next.WaitedSeconds} should include the first offer's time");

        var status = await first.Hub.LawyerStatuses.WaitAsync(l => l.Status == "away", Wait);
        Assert.Equal(first.Id, status.Id);
        Assert.Equal("away", (await kit.RosterEntry(first.Id)).Status);
        Assert.Equal("available", (await kit.RosterEntry(second.Id)).Status);
        // The timed-out lawyer can no longer accept; the second can.
        Assert.Equal("conflict", await TestKit.HubError(() => first.Hub.AcceptOffer(c.Id)));
        var accepted = await second.Hub.AcceptOffer(c.Id);
        Assert.Equal(second.Id, accepted.Consultation.AssignedLawyerId);
        // Back to available by choice.
        var me = await first.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        Assert.Equal("available", me.Status);
    }

    [Fact]
    public async Task Declined_offer_goes_to_the_next_lawyer_and_back_to_a_decliner_only_when_nobody_else_is_on_duty()
    {
        await using var kit = new TestKit(host);
        var (worker, c, first, second, offer) = await OfferedToOneOfTwo(kit);
        await first.Hub.Invoke("DeclineOffer", c.Id);
        await second.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        // Declining twice is refused; the decliner cannot accept any more.
        Assert.Equal("conflict", await TestKit.HubError(() => first.Hub.Invoke("DeclineOffer", c.Id)));
        Assert.Equal("conflict", await TestKit.HubError(() => first.Hub.AcceptOffer(c.Id)));
        await second.Hub.Invoke("DeclineOffer", c.Id);
        // Both declined and nobody else is on duty: the exclusions do not apply (a worker is never stranded by them), and
        // the lawyer idle longest, the first decliner, gets it again at once.
        await first.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id && o.ExpiresAt > offer.ExpiresAt, Wait);
        var accepted = await first.Hub.AcceptOffer(c.Id);
        Assert.Equal(first.Id, accepted.Consultation.AssignedLawyerId);
        Assert.Single(second.Hub.Offers.Items, o => o.ConsultationId == c.Id);
        Assert.Equal("available", (await kit.RosterEntry(first.Id)).Status);
    }

    [Fact]
    public async Task Transfer_to_another_category_requeues_to_a_lawyer_with_that_skill()
    {
        await using var kit = new TestKit(host);
        var (from, to, worker, c, categories, _) = await kit.TransferCase();
        await worker.Hub.SendMessage(c.Id, "it is actually about my injury");

        var view = await from.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest(ToCategory: categories[1], Note: "needs a work-injury expert")]);
        Assert.Contains(view.Status, new[] { "queued", "offered" });
        Assert.Equal(categories[1], view.Category);
        Assert.Null(view.AssignedLawyerId);
        await worker.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == c.Id && s.Status == "queued", Wait);

        var offer = await to.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        Assert.Equal(categories[1], offer.Category);
        var accepted = await to.Hub.AcceptOffer(c.Id);
        Assert.Equal("active", accepted.Consultation.Status);
        Assert.Equal(["it is actually about my injury"], accepted.Missed.Select(m => m.Text));
        var assigned = await worker.Hub.Assignments.WaitAsync(a => a.ConsultationId == c.Id && a.LawyerId == to.Id, Wait);
        Assert.Equal(to.Id, assigned.LawyerId);
        // The first lawyer is free again and can no longer write.
        Assert.Equal("forbidden", await TestKit.HubError(() => from.Hub.SendMessage(c.Id, "still here?")));
        Assert.Equal(0, (await kit.RosterEntry(from.Id)).ActiveCount);
        Assert.Equal(1, (await kit.RosterEntry(to.Id)).ActiveCount);
        // The note is private to lawyers.
        var notes = await to.Hub.Invoke<IReadOnlyList<Note>>("GetNotes", [c.Id]);
        Assert.Contains(notes, n => n.Text.Contains("needs a work-injury expert", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Transfer_to_a_named_lawyer_offers_it_to_that_lawyer_only()
    {
        await using var kit = new TestKit(host);
        var (categories, dialect) = TestKit.Combos(2);
        var (x, y) = (categories[0], categories[1]);
        // "named" answers category y and is already busy with one; "from" has the consultation (category x).
        var named = await kit.Lawyer([y], dialect, capacity: 2);
        var (busy, _) = await kit.OpenAndAccept(await kit.Worker(), named, y, dialect);
        var from = await kit.Lawyer([x], dialect);
        var worker = await kit.Worker();
        var (c, _) = await kit.OpenAndAccept(worker, from, x, dialect);
        // "other" answers x and is idle: without the preference it would get the transferred consultation.
        var other = await kit.Lawyer([x, y], dialect, capacity: 3);

        await from.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest(ToLawyerId: named.Id)]);
        await named.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        var accepted = await named.Hub.AcceptOffer(c.Id);
        Assert.Equal(named.Id, accepted.Consultation.AssignedLawyerId);
        Assert.DoesNotContain(other.Hub.Offers.Items, o => o.ConsultationId == c.Id);
        Assert.NotEqual(busy.Id, c.Id);
        // Transfer to an unknown lawyer or to oneself is refused.
        Assert.Equal("not_found", await TestKit.HubError(() => named.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest(ToLawyerId: "lw-nobody-" + Guid.NewGuid().ToString("N")[..6])])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => named.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest(ToLawyerId: named.Id)])));
        Assert.Equal("validation_failed", await TestKit.HubError(() => named.Hub.Invoke<Consultation>("Transfer", [c.Id, new TransferRequest(ToCategory: "astrology")])));
        Assert.Equal("active", (await kit.Rest.GetConsultation(worker.Token, c.Id)).Status);
    }

    [Fact]
    public async Task Lawyer_who_drops_with_a_pending_offer_has_it_reoffered_at_once()
    {
        await using var kit = new TestKit(host);
        var (_, c, first, second, offer) = await OfferedToOneOfTwo(kit);

        await first.Hub.DisposeAsync(); // last connection of the first lawyer
        var next = await second.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        Assert.True(DateTimeOffset.UtcNow < offer.ExpiresAt, "the offer was not re-routed before its deadline");
        Assert.True(next.ExpiresAt > offer.ExpiresAt);
        Assert.Equal("offline", (await kit.RosterEntry(first.Id)).Status);
        await second.Hub.AcceptOffer(c.Id);
    }

    [Fact]
    public async Task Active_consultations_of_a_lost_lawyer_return_to_the_queue_after_grace_ahead_of_newer_ones()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var lost = await kit.Lawyer([category], dialect, capacity: 1);
        var w1 = await kit.Worker();
        var (older, _) = await kit.OpenAndAccept(w1, lost, category, dialect);
        var w2 = await kit.Worker();
        var newer = await kit.Open(w2, category, dialect); // waits: the only lawyer is full
        Assert.DoesNotContain(lost.Hub.Offers.Items, o => o.ConsultationId == newer.Id);

        var droppedAt = DateTimeOffset.UtcNow;
        await lost.Hub.DisposeAsync();
        await w1.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == older.Id && s.Status == "queued", Wait);
        Assert.True(DateTimeOffset.UtcNow - droppedAt >= TimeSpan.FromSeconds(1.5), "returned before the grace period");
        var view = await kit.Rest.GetConsultation(w1.Token, older.Id);
        Assert.Null(view.AssignedLawyerId);

        var rescuer = await kit.Lawyer([category], dialect, capacity: 1);
        var offer = await rescuer.Hub.Offers.WaitAsync(null, Wait);
        Assert.Equal(older.Id, offer.ConsultationId);
        Assert.True(offer.WaitedSeconds >= 2, $"waitedSeconds {offer.WaitedSeconds}: the returned consultation must keep its age");
        var accepted = await rescuer.Hub.AcceptOffer(older.Id);
        Assert.Equal(rescuer.Id, accepted.Consultation.AssignedLawyerId);
        await w1.Hub.Assignments.WaitAsync(a => a.ConsultationId == older.Id && a.LawyerId == rescuer.Id, Wait);
        // The lost lawyer can read its history but no longer write to it.
        var relogin = HotlineConnection.Lawyer(kit.BaseUrl, lost.Token);
        await kit.Start(relogin);
        Assert.Equal("forbidden", await TestKit.HubError(() => relogin.SendMessage(older.Id, "I am back")));
    }

    [Fact]
    public async Task Lawyer_who_comes_back_within_grace_keeps_its_consultations()
    {
        await using var kit = new TestKit(host);
        var (lawyer, worker, c) = await kit.ActiveCase();
        await lawyer.Hub.DropAndWaitReconnectAsync();
        // Past the 2 s grace, a message still goes through: the consultation stayed with the lawyer.
        await lawyer.Hub.JoinConsultation(c.Id);
        var reply = await Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3)); // the grace period is a time rule: no event to wait for
            return await lawyer.Hub.SendMessage(c.Id, "still with you");
        });
        Assert.Equal(1, reply.Seq);
        Assert.Equal("active", (await kit.Rest.GetConsultation(worker.Token, c.Id)).Status);
        Assert.DoesNotContain(worker.Hub.StatusChanges.Items, s => s.ConsultationId == c.Id && s.Status == "queued");
    }

    [Fact]
    public async Task Phone_call_from_the_gateway_takes_the_lawyers_full_capacity()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var lawyer = await kit.Lawyer([category], dialect, capacity: 3);

        var call = await kit.Rest.PhoneCall(HotlineHost.GatewayKey, "+86 591 1234 5678".Replace(" ", ""), category, dialect);
        Assert.Equal("phone", call.Channel);
        Assert.Contains(call.Status, new[] { "queued", "offered" });
        var offer = await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == call.Id, Wait);
        Assert.Equal("phone", offer.Channel);
        await lawyer.Hub.AcceptOffer(call.Id);

        // A web consultation that the lawyer could take by skill and dialect is not offered: the call fills them.
        var worker = await kit.Worker();
        var web = await kit.Open(worker, category, dialect);
        var spare = await kit.Lawyer([category], dialect, capacity: 1);
        await spare.Hub.Offers.WaitAsync(o => o.ConsultationId == web.Id, Wait);
        await spare.Hub.AcceptOffer(web.Id);
        Assert.DoesNotContain(lawyer.Hub.Offers.Items, o => o.ConsultationId == web.Id);
        var metrics = await kit.Rest.GetMetrics(admin);
        Assert.True(metrics.Lawyers.Busy >= 1);
        Assert.Equal(1, (await kit.RosterEntry(lawyer.Id)).ActiveCount);

        // The same caller calling again is the same (anonymous) worker.
        var again = await kit.Rest.PhoneCall(HotlineHost.GatewayKey, "+8659112345678", category, dialect);
        Assert.Equal(call.WorkerId, again.WorkerId);
        Assert.NotEqual(call.Id, again.Id);
        Assert.Equal("validation_failed", (await TestKit.RestError(() => kit.Rest.PhoneCall(HotlineHost.GatewayKey, "not a number", category, dialect))).Code);
        Assert.Equal("validation_failed", (await TestKit.RestError(() => kit.Rest.PhoneCall(HotlineHost.GatewayKey, "12345", "astrology", dialect))).Code);

        // After the call ends, the lawyer takes web consultations again.
        await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [call.Id, "referred_legal_aid", "sent to legal aid"]);
        await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == again.Id, Wait);
    }
}
