using Hotline.Client;

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
        TestLawyer[] lawyers = [await kit.Lawyer([category], dialect, capacity: 3), await kit.Lawyer([category], dialect, capacity: 3)];
        foreach (var l in lawyers) await Available(l);
        var offered = new List<string>(); // in the order the router offered them; every offer is accepted at once
        var active = lawyers.ToDictionary(l => l.Id, _ => new List<string>());

        async Task TakeNextOffer(IReadOnlyCollection<string> mine)
        {
            var taken = offered.ToHashSet(); // the predicate runs on the receiving thread
            var waits = lawyers.Select(async l =>
                (Lawyer: l, Offer: await l.Hub.Offers.WaitAsync(o => mine.Contains(o.ConsultationId) && !taken.Contains(o.ConsultationId), Wait))).ToList();
            var (lawyer, offer) = await await Task.WhenAny(waits);
            offered.Add(offer.ConsultationId);
            await lawyer.Hub.AcceptOffer(offer.ConsultationId);
            active[lawyer.Id].Add(offer.ConsultationId);
        }

        async Task<string> OpenChat()
        {
            var worker = await kit.Worker();
            return (await kit.Open(worker, category, dialect)).Id;
        }

        // Both lawyers full with chats, then a backlog: two chats older than the call, the call, three chats younger.
        for (var i = 0; i < 6; i++)
        {
            var id = await OpenChat();
            await TakeNextOffer([id]);
        }
        List<string> older = [await OpenChat(), await OpenChat()];
        var call = await kit.Rest.PhoneCall(HotlineHost.GatewayKey, "+8659100000009", category, dialect);
        List<string> younger = [await OpenChat(), await OpenChat(), await OpenChat()];
        List<string> queued = [.. older, call.Id, .. younger];

        // Steady work: lawyers finish chats one at a time. After each close the router has decided (the close waits for it):
        // when the category's waiting count dropped, one consultation was offered, and it is taken.
        var reservedSeen = false;
        while (!offered.Contains(call.Id))
        {
            var lawyer = lawyers.First(l => active[l.Id].Count > 0);
            var done = active[lawyer.Id][0];
            active[lawyer.Id].RemoveAt(0);
            await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [done, "answered", null]);
            var metrics = await kit.Rest.GetMetrics(admin);
            reservedSeen |= metrics.Lawyers.Reserved > 0;
            var waitingNow = metrics.Queues.FirstOrDefault(q => q.Category == category)?.Waiting ?? 0;
            for (var n = queued.Count(id => !offered.Contains(id)) - waitingNow; n > 0; n--) await TakeNextOffer(queued);
        }

        // Priority then age across channels: the older chats first, then the call, before any younger chat.
        Assert.Equal([.. older, call.Id], offered.Where(queued.Contains));
        Assert.True(reservedSeen, "a lawyer held free for the call shows as reserved in the metrics");
    }
}
