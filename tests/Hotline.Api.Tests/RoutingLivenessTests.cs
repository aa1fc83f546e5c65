namespace Hotline.Api.Tests;

/// <summary>Issue 9 "Nobody stranded", routing rules through the public API: the night shift and phone calls that do not starve.</summary>
[Collection(MainCollection.Name)]
public sealed class RoutingLivenessTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const double OfferTimeoutSeconds = 5; // HotlineHost: Hotline:Routing:OfferTimeoutSeconds

    private static Task<Lawyer> Available(TestLawyer lawyer) => lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);

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
}
