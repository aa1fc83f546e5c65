namespace Hotline.Domain.Tests;

/// <summary>The "Nobody stranded" rules of domain.md, one engine test per rule.</summary>
public class RoutingLivenessTests
{
    private static QueueEntry Employer(QueueEntry e, string key)
    {
        e.EmployerKey = key;
        return e;
    }

    [Fact]
    public void Exclusion_HoldsWhileSomeoneElseIsOnline_ThenExpires()
    {
        var r = R.TwoLawyers(new RoutingOptions { ExclusionSeconds = 300 });
        Assert.Equal("a", r.Enqueue(R.Entry("x"), R.T0.AddSeconds(2)).SingleOffer().LawyerId);
        Assert.Equal("b", r.Enqueue(R.Entry("y"), R.T0.AddSeconds(2)).SingleOffer().LawyerId);
        r.Accept("y", "b", R.T0.AddSeconds(3)).Ok();
        // a declines x: b is online (busy), so a is passed over although a is free.
        Assert.Empty(r.Decline("x", "a", R.T0.AddSeconds(4)).Ok().Of<OfferMade>());
        Assert.Equal(R.T0.AddSeconds(62), r.NextDeadline(R.T0.AddSeconds(4))); // widening first
        Assert.Equal(R.T0.AddSeconds(304), r.NextDeadline(R.T0.AddSeconds(200)));
        Assert.Empty(r.Tick(R.T0.AddSeconds(303)).Of<OfferMade>());
        Assert.Equal("a", r.Tick(R.T0.AddSeconds(304)).SingleOffer().LawyerId);
        Assert.Empty(r.State.Queue["x"].Exclusions);
    }

    [Fact]
    public void Exclusion_DoesNotApplyWhenTheOthersGoOffline()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), R.T0);
        r.UpsertLawyer(R.Lawyer("b", "wage", "mandarin", status: LawyerStatus.Away), R.T0);
        r.Enqueue(R.Entry("x"), R.T0.AddSeconds(1));
        r.UpsertLawyer(R.Lawyer("b", "wage", "mandarin"), R.T0.AddSeconds(2));
        r.Enqueue(R.Entry("busy"), R.T0.AddSeconds(2));
        r.Accept("busy", "b", R.T0.AddSeconds(3)).Ok();
        Assert.Empty(r.Decline("x", "a", R.T0.AddSeconds(4)).Of<OfferMade>());
        // The only other lawyer leaves: a is the only one on duty and gets it at once.
        Assert.Equal("a", r.LawyerDisconnected("b", R.T0.AddSeconds(5)).SingleOffer().LawyerId);
    }

    [Fact]
    public void NightShift_OneLawyerLetsAnOfferLapse_GetsItAgainWhenAvailable()
    {
        var r = R.Engine(new RoutingOptions { OfferTimeoutSeconds = 20, SetAwayOnTimeout = true });
        r.UpsertLawyer(R.Lawyer("night", "wage", "mandarin"), R.T0);
        r.Enqueue(R.Entry("x"), R.T0);
        var res = r.Tick(R.T0.AddSeconds(20));
        Assert.Contains(new LawyerStatusForced("night", LawyerStatus.Away), res.Effects);
        res = r.UpsertLawyer(R.Lawyer("night", "wage", "mandarin"), R.T0.AddSeconds(25));
        Assert.Equal(new OfferMade("x", "night", R.T0.AddSeconds(45)), res.SingleOffer());
    }

    [Fact]
    public void Recover_WithdrawsOverdueOffersWithoutPenalty_WhereTickWouldSetAway()
    {
        var r = R.TwoLawyers();
        r.Enqueue(R.Entry("x"), R.T0.AddSeconds(2));
        var json = R.Json(r.State);

        var running = new RoutingEngine(System.Text.Json.JsonSerializer.Deserialize<RouterState>(json)!, new RoutingOptions());
        Assert.Contains(new LawyerStatusForced("a", LawyerStatus.Away), running.Tick(R.T0.AddSeconds(100)).Effects);

        var restarted = new RoutingEngine(System.Text.Json.JsonSerializer.Deserialize<RouterState>(json)!, new RoutingOptions());
        var res = restarted.Recover(R.T0.AddSeconds(100)).Ok();
        Assert.Equal([new OfferWithdrawn("x", "a", OfferRevokeReason.Cancelled)], res.Of<OfferWithdrawn>());
        Assert.Empty(res.Of<LawyerStatusForced>());
        Assert.Equal(LawyerStatus.Available, restarted.State.Lawyers["a"].Status);
        Assert.Empty(restarted.State.Queue["x"].Exclusions);
        Assert.Equal("b", res.SingleOffer().LawyerId); // b idle longer now
        // Offers still within their deadline survive a recovery untouched.
        Assert.DoesNotContain(restarted.Recover(R.T0.AddSeconds(101)).Effects, e => e is OfferWithdrawn or OfferMade);
    }

    [Fact]
    public void Preference_LapsesAfterTheTimeout_AndWideningCountsFromTheTransfer()
    {
        var r = R.Engine(new RoutingOptions { PreferenceTimeoutSeconds = 120 });
        r.UpsertLawyer(R.Lawyer("a", "wage", "cantonese"), R.T0);
        r.UpsertLawyer(R.Lawyer("named", "injury", "cantonese", status: LawyerStatus.Away), R.T0);
        r.UpsertLawyer(R.Lawyer("m", "injury", "mandarin"), R.T0);
        r.Enqueue(R.Entry("x", "wage", "cantonese"), R.T0);
        r.Accept("x", "a", R.T0.AddSeconds(1)).Ok();
        // Transfer at +500 to a named colleague who is away (online, not offline): it waits for them.
        var t = R.T0.AddSeconds(500);
        Assert.Empty(r.Requeue("x", "injury", "named", null, t).Ok().Of<OfferMade>());
        Assert.Equal(t.AddSeconds(60), r.NextDeadline(t)); // widening, counted from the transfer
        Assert.Equal(t.AddSeconds(120), r.NextDeadline(t.AddSeconds(60)));
        Assert.Empty(r.Tick(t.AddSeconds(119)).Of<OfferMade>());
        // At +120 the preference lapses into normal routing in the new category; widening (from the transfer, step 1 at
        // 60 s) already lets a Mandarin speaker with the skill take it, but not yet the wage lawyer (step 2 at 180 s).
        Assert.Equal("m", r.Tick(t.AddSeconds(120)).SingleOffer().LawyerId);
        Assert.Null(r.State.Queue["x"].PreferredLawyerId);
        Assert.Equal(R.T0, r.State.Queue["x"].QueuedAt);
    }

    [Fact]
    public void Preference_LapsesAtOnceWhenTheNamedLawyerIsOffline_OrGoesOffline()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 2), R.T0);
        r.UpsertLawyer(R.Lawyer("gone", "wage", "mandarin", status: LawyerStatus.Offline), R.T0);
        r.UpsertLawyer(R.Lawyer("away", "wage", "mandarin", status: LawyerStatus.Away), R.T0);
        r.UpsertLawyer(R.Lawyer("b", "wage", "mandarin", capacity: 2), R.T0);
        r.Enqueue(R.Entry("x"), R.T0);
        r.Enqueue(R.Entry("y"), R.T0);
        r.Accept("x", "a", R.T0).Ok();
        r.Accept("y", "b", R.T0).Ok();
        Assert.Equal("b", r.Requeue("x", null, "gone", "a", R.T0.AddSeconds(1)).Ok().SingleOffer().LawyerId);
        Assert.Empty(r.Requeue("y", null, "away", "b", R.T0.AddSeconds(2)).Ok().Of<OfferMade>());
        Assert.Equal("a", r.UpsertLawyer(R.Lawyer("away", "wage", "mandarin", status: LawyerStatus.Offline), R.T0.AddSeconds(3))
            .SingleOffer().LawyerId);
    }

    [Fact]
    public void Conflict_NeverOffered_NotClaimable_AndReportedWhenActive()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin") with { Conflicts = ["acme"] }, R.T0);
        r.Enqueue(Employer(R.Entry("x"), "acme"), R.T0);
        Assert.Empty(r.Tick(R.T0.AddSeconds(1000)).Of<OfferMade>());
        Assert.Empty(r.GetQueueFor("a", R.T0.AddSeconds(1000)));
        Assert.Equal(RoutingErrors.Conflict, r.Claim("x", "a", R.T0.AddSeconds(1000)).ErrorCode);
        r.Enqueue(Employer(R.Entry("y"), "other"), R.T0.AddSeconds(1001));
        r.Accept("y", "a", R.T0.AddSeconds(1002)).Ok();
        var res = r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin") with { Conflicts = ["acme", "other"] }, R.T0.AddSeconds(1003));
        Assert.Equal([new ActiveConsultationConflicted("y", "a")], res.Of<ActiveConsultationConflicted>());
        // The consultation grain then requeues it; the conflict keeps it from a, and a named transfer to a lapses at once.
        r.UpsertLawyer(R.Lawyer("b", "wage", "mandarin"), R.T0.AddSeconds(1004));
        Assert.Equal(["x"], r.State.Queue.Keys);
        Assert.Equal("b", r.State.Queue["x"].OfferedTo);
        Assert.Empty(r.Requeue("y", null, "a", null, R.T0.AddSeconds(1005)).Ok().Of<OfferMade>()); // b is full
        Assert.Null(r.State.Queue["y"].PreferredLawyerId);
    }

    [Fact]
    public void Claim_TakesAWaitingOrOfferedConsultation_RevokingTheOtherOffer()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), R.T0);
        r.UpsertLawyer(R.Lawyer("b", "wage,injury", "mandarin", capacity: 2, status: LawyerStatus.Away), R.T0);
        r.Enqueue(R.Entry("x"), R.T0.AddSeconds(1));
        r.Enqueue(R.Entry("y", priority: 1), R.T0.AddSeconds(2));
        r.Enqueue(R.Entry("z", "injury"), R.T0.AddSeconds(3));
        Assert.Equal("a", r.State.Queue["x"].OfferedTo);
        Assert.Equal(["y", "x", "z"], r.GetQueueFor("b", R.T0.AddSeconds(4)).Select(e => e.ConsultationId));
        Assert.Equal(["y", "x"], r.GetQueueFor("a", R.T0.AddSeconds(4)).Select(e => e.ConsultationId));
        var res = r.Claim("x", "b", R.T0.AddSeconds(5)).Ok();
        Assert.Equal([new OfferWithdrawn("x", "a", OfferRevokeReason.Taken)], res.Of<OfferWithdrawn>());
        Assert.Equal("b", Assert.Single(res.Of<ConsultationAssigned>()).LawyerId);
        Assert.Equal("y", res.SingleOffer().ConsultationId); // a is free again
        r.Claim("z", "b", R.T0.AddSeconds(6)).Ok();
        Assert.Equal(RoutingErrors.Conflict, r.Claim("y", "b", R.T0.AddSeconds(7)).ErrorCode); // b is full
        Assert.Single(r.Claim("y", "a", R.T0.AddSeconds(8)).Ok().Of<ConsultationAssigned>()); // its own offer: accepted
    }

    [Fact]
    public void PhoneCall_ReservesEligibleLawyers_UntilOneIsFree()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 3), R.T0);
        r.UpsertLawyer(R.Lawyer("other", "wage", "hakka", capacity: 3), R.T0);
        foreach (var id in new[] { "c1", "c2", "c3" })
        {
            r.Enqueue(R.Entry(id), R.T0);
            r.Accept(id, "a", R.T0).Ok();
        }
        r.Enqueue(R.Entry("older"), R.T0.AddSeconds(5));
        r.Enqueue(R.Entry("call", channel: Channel.Phone), R.T0.AddSeconds(10));
        r.Enqueue(R.Entry("younger"), R.T0.AddSeconds(11));
        r.Enqueue(R.Entry("hakka", dialect: "hakka"), R.T0.AddSeconds(12));
        Assert.Equal("other", r.State.Queue["hakka"].OfferedTo); // not eligible for the call: not held
        // A chat older than the call is served first; then a is held for the call.
        Assert.Equal("older", r.Release("c1", R.T0.AddSeconds(13), 1).SingleOffer().ConsultationId);
        r.Accept("older", "a", R.T0.AddSeconds(13)).Ok();
        Assert.Empty(r.Release("c2", R.T0.AddSeconds(14), 1).Of<OfferMade>());
        Assert.Equal(["a"], r.ReservedLawyers);
        Assert.Empty(r.Release("c3", R.T0.AddSeconds(15), 1).Of<OfferMade>());
        Assert.Equal("call", r.Release("older", R.T0.AddSeconds(16), 1).SingleOffer().ConsultationId);
        Assert.Empty(r.ReservedLawyers);
        Assert.Null(r.State.Queue["younger"].OfferedTo);
    }
}
