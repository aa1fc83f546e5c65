using Microsoft.Extensions.Time.Testing;

namespace Hotline.Domain.Tests;

public class RoutingPolicyTests
{
    private static LawyerSlot Slot(string id, string skills, string dialects, int cap = 1, LawyerStatus st = LawyerStatus.Available) =>
        new() { LawyerId = id, Skills = [.. skills.Split(',')], Dialects = [.. dialects.Split(',')], Capacity = cap, Status = st };

    [Fact]
    public void Eligibility_SkillDialectStatusCapacityDeclines()
    {
        var o = new RoutingOptions();
        var e = R.Entry("c1", "wage", "cantonese", queuedAt: R.T0);
        var free = new LawyerLoad(0, false);
        Assert.True(RoutingPolicy.IsEligible(e, Slot("a", "wage", "cantonese"), free, R.T0, o));
        Assert.False(RoutingPolicy.IsEligible(e, Slot("a", "injury", "cantonese"), free, R.T0, o));
        Assert.False(RoutingPolicy.IsEligible(e, Slot("a", "wage", "mandarin"), free, R.T0, o));
        Assert.False(RoutingPolicy.IsEligible(e, Slot("a", "wage", "cantonese", st: LawyerStatus.Away), free, R.T0, o));
        Assert.False(RoutingPolicy.IsEligible(e, Slot("a", "wage", "cantonese", st: LawyerStatus.Offline), free, R.T0, o));
        Assert.False(RoutingPolicy.IsEligible(e, Slot("a", "wage", "cantonese", cap: 1), new LawyerLoad(1, false), R.T0, o));
        Assert.True(RoutingPolicy.IsEligible(e, Slot("a", "wage", "cantonese", cap: 2), new LawyerLoad(1, false), R.T0, o));
        Assert.False(RoutingPolicy.IsEligible(e, Slot("a", "wage", "cantonese", cap: 3), new LawyerLoad(1, true), R.T0, o));
        e.Exclusions["a"] = R.T0;
        Assert.False(RoutingPolicy.IsEligible(e, Slot("a", "wage", "cantonese"), free, R.T0, o));
    }

    [Fact]
    public void Eligibility_PhoneNeedsAnEntirelyFreeLawyer()
    {
        var o = new RoutingOptions();
        var phone = R.Entry("c1", channel: Channel.Phone, queuedAt: R.T0);
        var l = Slot("a", "wage", "mandarin", cap: 3);
        Assert.True(RoutingPolicy.IsEligible(phone, l, new LawyerLoad(0, false), R.T0, o));
        Assert.False(RoutingPolicy.IsEligible(phone, l, new LawyerLoad(1, false), R.T0, o));
        Assert.Equal(3, new LawyerLoad(1, true).Effective(3));
    }

    [Fact]
    public void Widening_RelaxesCumulatively()
    {
        var o = new RoutingOptions();
        var e = R.Entry("c1", "wage", "cantonese", queuedAt: R.T0);
        var mandarinWage = Slot("a", "wage", "mandarin");
        var hakkaInjury = Slot("b", "injury", "hakka");
        var free = new LawyerLoad(0, false);
        Assert.False(RoutingPolicy.IsEligible(e, mandarinWage, free, R.T0.AddSeconds(59), o));
        Assert.True(RoutingPolicy.IsEligible(e, mandarinWage, free, R.T0.AddSeconds(60), o));
        Assert.False(RoutingPolicy.IsEligible(e, hakkaInjury, free, R.T0.AddSeconds(179), o));
        Assert.True(RoutingPolicy.IsEligible(e, hakkaInjury, free, R.T0.AddSeconds(180), o));
        Assert.Equal(R.T0.AddSeconds(60), RoutingPolicy.NextWideningAt(e, R.T0, o));
        Assert.Equal(R.T0.AddSeconds(180), RoutingPolicy.NextWideningAt(e, R.T0.AddSeconds(60), o));
        Assert.Null(RoutingPolicy.NextWideningAt(e, R.T0.AddSeconds(180), o));
    }

    [Fact]
    public void Preference_RestrictsToThatLawyer()
    {
        var o = new RoutingOptions();
        var e = R.Entry("c1", "wage", "cantonese", queuedAt: R.T0);
        e.PreferredLawyerId = "b";
        var free = new LawyerLoad(0, false);
        Assert.False(RoutingPolicy.IsEligible(e, Slot("a", "wage", "cantonese"), free, R.T0.AddHours(1), o));
        Assert.True(RoutingPolicy.IsEligible(e, Slot("b", "injury", "hakka"), free, R.T0, o));
    }

    [Fact]
    public void QueueOrder_PriorityThenAgeThenSequence()
    {
        var list = new List<QueueEntry>
        {
            new() { ConsultationId = "old", Category = "w", Dialect = "m", QueuedAt = R.T0, Sequence = 5 },
            new() { ConsultationId = "new", Category = "w", Dialect = "m", QueuedAt = R.T0.AddSeconds(5), Sequence = 1 },
            new() { ConsultationId = "urgent", Category = "w", Dialect = "m", QueuedAt = R.T0.AddSeconds(9), Priority = 1, Sequence = 9 },
            new() { ConsultationId = "old2", Category = "w", Dialect = "m", QueuedAt = R.T0, Sequence = 6 },
        };
        list.Sort(RoutingPolicy.QueueOrder);
        Assert.Equal(["urgent", "old", "old2", "new"], list.Select(e => e.ConsultationId));
    }

    [Fact]
    public void CandidateOrder_LoadRatioThenLongestIdleThenId()
    {
        var a = Slot("a", "w", "m", cap: 3); a.IdleSince = R.T0.AddSeconds(10);
        var b = Slot("b", "w", "m", cap: 2); b.IdleSince = R.T0;
        Assert.True(RoutingPolicy.CompareCandidates(a, new(1, false), b, new(1, false)) < 0); // 1/3 < 1/2
        Assert.True(RoutingPolicy.CompareCandidates(a, new(0, false), b, new(0, false)) > 0); // equal load: b idle longer
        var c = Slot("c", "w", "m"); c.IdleSince = R.T0;
        Assert.True(RoutingPolicy.CompareCandidates(b, new(0, false), c, new(0, false)) < 0); // tie: id
    }
}

public class RoutingEngineTests
{
    [Fact]
    public void Offers_OnlyToSkilledSpeakingAvailableLawyer()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("inj", "injury", "cantonese"), R.T0).Ok();
        r.UpsertLawyer(R.Lawyer("man", "wage", "mandarin"), R.T0).Ok();
        r.UpsertLawyer(R.Lawyer("away", "wage", "cantonese", status: LawyerStatus.Away), R.T0).Ok();
        var res = r.Enqueue(R.Entry("c1", "wage", "cantonese"), R.T0).Ok();
        Assert.Empty(res.Of<OfferMade>());
        res = r.UpsertLawyer(R.Lawyer("away", "wage", "cantonese"), R.T0.AddSeconds(1)).Ok();
        Assert.Equal(new OfferMade("c1", "away", R.T0.AddSeconds(21)), res.SingleOffer());
    }

    [Fact]
    public void Capacity_LimitsConcurrentOffersAndActive()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 2), R.T0);
        Assert.Single(r.Enqueue(R.Entry("c1"), R.T0).Of<OfferMade>());
        Assert.Single(r.Enqueue(R.Entry("c2"), R.T0).Of<OfferMade>());
        Assert.Empty(r.Enqueue(R.Entry("c3"), R.T0).Of<OfferMade>());
        r.Accept("c1", "a", R.T0.AddSeconds(1)).Ok();
        Assert.Empty(r.Tick(R.T0.AddSeconds(2)).Of<OfferMade>());
        var res = r.Release("c1", R.T0.AddSeconds(30), null).Ok();
        Assert.Equal("c3", res.SingleOffer().ConsultationId);
        Assert.Equal([29.0], r.State.RecentHandleSeconds);
    }

    [Fact]
    public void Queue_PriorityThenAge()
    {
        var r = R.Engine();
        r.Enqueue(R.Entry("old"), R.T0);
        r.Enqueue(R.Entry("new"), R.T0.AddSeconds(1));
        r.Enqueue(R.Entry("urgent", priority: 1), R.T0.AddSeconds(2));
        var res = r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), R.T0.AddSeconds(3));
        Assert.Equal("urgent", res.SingleOffer().ConsultationId);
        r.Accept("urgent", "a", R.T0.AddSeconds(4)).Ok();
        Assert.Equal("old", r.Release("urgent", R.T0.AddSeconds(5), 1).SingleOffer().ConsultationId);
        r.Accept("old", "a", R.T0.AddSeconds(6)).Ok();
        Assert.Equal("new", r.Release("old", R.T0.AddSeconds(7), 1).SingleOffer().ConsultationId);
    }

    [Fact]
    public void Candidates_LeastLoadedThenLongestIdle()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 2), R.T0);
        r.UpsertLawyer(R.Lawyer("b", "wage", "mandarin", capacity: 2), R.T0.AddSeconds(5));
        // Equal load 0: a has been idle longer.
        Assert.Equal("a", r.Enqueue(R.Entry("c1"), R.T0.AddSeconds(10)).SingleOffer().LawyerId);
        // a now has load 1: b is less loaded.
        Assert.Equal("b", r.Enqueue(R.Entry("c2"), R.T0.AddSeconds(11)).SingleOffer().LawyerId);
        r.Accept("c1", "a", R.T0.AddSeconds(12)).Ok();
        r.Accept("c2", "b", R.T0.AddSeconds(12)).Ok();
        r.Release("c2", R.T0.AddSeconds(20), 8).Ok(); // b idle again, a still busy
        Assert.Equal("b", r.Enqueue(R.Entry("c3"), R.T0.AddSeconds(21)).SingleOffer().LawyerId);
    }

    [Fact]
    public void WorkConserving_LaterEntryMatchedWhenHeadCannotBe()
    {
        var r = R.Engine();
        r.Enqueue(R.Entry("head", "injury", "hakka"), R.T0);
        r.Enqueue(R.Entry("second", "wage", "mandarin"), R.T0.AddSeconds(1));
        var res = r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), R.T0.AddSeconds(2));
        Assert.Equal("second", res.SingleOffer().ConsultationId);
        Assert.Null(r.State.Queue["head"].OfferedTo);
    }

    [Fact]
    public void Timeout_ReoffersToNextAndSetsAway()
    {
        var fake = new FakeTimeProvider(R.T0);
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), fake.GetUtcNow());
        fake.Advance(TimeSpan.FromSeconds(1));
        r.UpsertLawyer(R.Lawyer("b", "wage", "mandarin"), fake.GetUtcNow());
        Assert.Equal("a", r.Enqueue(R.Entry("c1"), fake.GetUtcNow()).SingleOffer().LawyerId);
        Assert.Equal(fake.GetUtcNow().AddSeconds(20), r.NextDeadline(fake.GetUtcNow()));
        fake.Advance(TimeSpan.FromSeconds(19));
        Assert.DoesNotContain(r.Tick(fake.GetUtcNow()).Effects, e => e is not QueuePositionsChanged);
        fake.Advance(TimeSpan.FromSeconds(1));
        var res = r.Tick(fake.GetUtcNow()).Ok();
        Assert.Contains(new OfferWithdrawn("c1", "a", OfferRevokeReason.Timeout), res.Effects);
        Assert.Contains(new LawyerStatusForced("a", LawyerStatus.Away), res.Effects);
        Assert.Equal("b", res.SingleOffer().LawyerId);
        Assert.Equal(LawyerStatus.Away, r.State.Lawyers["a"].Status);
        Assert.Equal(R.T0.AddSeconds(21), r.State.Queue["c1"].Exclusions["a"]);
    }

    [Fact]
    public void Timeout_WithoutSetAway_RevokesOtherOffersOnlyWhenAway()
    {
        var r = R.Engine(new RoutingOptions { SetAwayOnTimeout = false });
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 2), R.T0);
        r.Enqueue(R.Entry("c1"), R.T0);
        r.Enqueue(R.Entry("c2"), R.T0.AddSeconds(10));
        var res = r.Tick(R.T0.AddSeconds(20));
        Assert.Equal([new OfferWithdrawn("c1", "a", OfferRevokeReason.Timeout)], res.Of<OfferWithdrawn>());
        Assert.Empty(res.Of<LawyerStatusForced>());
        Assert.Equal("a", r.State.Queue["c2"].OfferedTo);
        // a is the only lawyer: the exclusion after the timeout does not apply, c1 goes straight back to a.
        Assert.Equal("a", r.State.Queue["c1"].OfferedTo);
    }

    [Fact]
    public void Decline_IsRememberedWhileSomeoneElseCanTakeIt()
    {
        var r = R.TwoLawyers();
        Assert.Equal("a", r.Enqueue(R.Entry("c1"), R.T0.AddSeconds(2)).SingleOffer().LawyerId);
        var res = r.Decline("c1", "a", R.T0.AddSeconds(3)).Ok();
        Assert.Empty(res.Of<OfferWithdrawn>());
        Assert.Equal("b", res.SingleOffer().LawyerId);
        // Both declined: nobody else is online, so the exclusions do not apply and a (idle longer) gets it again.
        Assert.Equal("a", r.Decline("c1", "b", R.T0.AddSeconds(4)).Ok().SingleOffer().LawyerId);
    }

    [Fact]
    public void Widening_After60And180Seconds()
    {
        var fake = new FakeTimeProvider(R.T0);
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("mandarinWage", "wage", "mandarin"), fake.GetUtcNow());
        r.UpsertLawyer(R.Lawyer("hakkaInjury", "injury", "hakka"), fake.GetUtcNow());
        r.Enqueue(R.Entry("c1", "wage", "cantonese"), fake.GetUtcNow()).Ok();
        r.Enqueue(R.Entry("c2", "contract", "cantonese"), fake.GetUtcNow()).Ok();
        Assert.Empty(r.Tick(fake.GetUtcNow()).Of<OfferMade>());
        Assert.Equal(R.T0.AddSeconds(60), r.NextDeadline(fake.GetUtcNow()));
        fake.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(r.Tick(fake.GetUtcNow()).Of<OfferMade>());
        fake.Advance(TimeSpan.FromSeconds(1));
        var res = r.Tick(fake.GetUtcNow());
        Assert.Equal(new OfferMade("c1", "mandarinWage", fake.GetUtcNow().AddSeconds(20)), res.SingleOffer());
        r.Accept("c1", "mandarinWage", fake.GetUtcNow()).Ok();
        Assert.Equal(R.T0.AddSeconds(180), r.NextDeadline(fake.GetUtcNow()));
        fake.Advance(TimeSpan.FromSeconds(119));
        Assert.Empty(r.Tick(fake.GetUtcNow()).Of<OfferMade>());
        fake.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new OfferMade("c2", "hakkaInjury", fake.GetUtcNow().AddSeconds(20)), r.Tick(fake.GetUtcNow()).SingleOffer());
    }

    [Fact]
    public void Phone_CountsAsFullCapacity()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 3), R.T0);
        Assert.Single(r.Enqueue(R.Entry("chat"), R.T0).Of<OfferMade>());
        Assert.Empty(r.Enqueue(R.Entry("call", channel: Channel.Phone), R.T0.AddSeconds(1)).Of<OfferMade>());
        r.Accept("chat", "a", R.T0.AddSeconds(2)).Ok();
        Assert.Equal("call", r.Release("chat", R.T0.AddSeconds(3), 1).SingleOffer().ConsultationId);
        // With a phone call offered, no chat either.
        Assert.Empty(r.Enqueue(R.Entry("chat2"), R.T0.AddSeconds(4)).Of<OfferMade>());
        r.Accept("call", "a", R.T0.AddSeconds(5)).Ok();
        Assert.Empty(r.Tick(R.T0.AddSeconds(6)).Of<OfferMade>());
        Assert.Equal("chat2", r.Release("call", R.T0.AddSeconds(7), 2).SingleOffer().ConsultationId);
    }

    [Fact]
    public void Requeue_KeepsAgeAheadOfNewer()
    {
        var r = R.TwoLawyers();
        r.Enqueue(R.Entry("old"), R.T0.AddSeconds(2));
        r.Enqueue(R.Entry("mid"), R.T0.AddSeconds(3));
        r.Accept("old", "a", R.T0.AddSeconds(4)).Ok();
        r.Accept("mid", "b", R.T0.AddSeconds(4)).Ok();
        r.Enqueue(R.Entry("new"), R.T0.AddSeconds(10));
        // a is lost; old goes back, excluded from a, ahead of "new".
        var res = r.Requeue("old", null, null, "a", R.T0.AddSeconds(20)).Ok();
        Assert.Equal(R.T0.AddSeconds(2), r.State.Queue["old"].QueuedAt);
        // a has free capacity now, "old" excludes a: a gets "new".
        Assert.Equal(new OfferMade("new", "a", R.T0.AddSeconds(40)), res.SingleOffer());
        Assert.Equal(1, r.GetPosition("old", R.T0.AddSeconds(20))!.Position);
        res = r.Release("mid", R.T0.AddSeconds(30), 26).Ok();
        Assert.Equal(new OfferMade("old", "b", R.T0.AddSeconds(50)), res.SingleOffer());
        var assigned = Assert.Single(r.Accept("old", "b", R.T0.AddSeconds(31)).Of<ConsultationAssigned>());
        Assert.Equal(29, assigned.WaitedSeconds);
    }

    [Fact]
    public void Requeue_ToPreferredLawyer_AndNewCategory()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 2), R.T0);
        r.UpsertLawyer(R.Lawyer("b", "injury", "mandarin"), R.T0);
        r.UpsertLawyer(R.Lawyer("c", "injury", "mandarin"), R.T0.AddSeconds(1));
        r.Enqueue(R.Entry("x"), R.T0.AddSeconds(2));
        r.Accept("x", "a", R.T0.AddSeconds(3)).Ok();
        var res = r.Requeue("x", "injury", "c", null, R.T0.AddSeconds(4)).Ok();
        Assert.Equal("c", res.SingleOffer().LawyerId); // b idle longer, but the transfer names c
        Assert.Equal("injury", r.State.Queue["x"].Category);
        res = r.Decline("x", "c", R.T0.AddSeconds(5)).Ok(); // the named colleague refuses: normal routing
        Assert.Equal("b", res.SingleOffer().LawyerId);
    }

    [Fact]
    public void Disconnect_RevokesOffersAndStopsNewOnes()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 2), R.T0);
        r.Enqueue(R.Entry("c1"), R.T0);
        r.Enqueue(R.Entry("c2"), R.T0);
        r.Accept("c1", "a", R.T0.AddSeconds(1)).Ok();
        r.UpsertLawyer(R.Lawyer("b", "wage", "mandarin", capacity: 1, status: LawyerStatus.Away), R.T0);
        var res = r.LawyerDisconnected("a", R.T0.AddSeconds(2)).Ok();
        Assert.Equal([new OfferWithdrawn("c2", "a", OfferRevokeReason.Cancelled)], res.Of<OfferWithdrawn>());
        Assert.Empty(res.Of<OfferMade>());
        Assert.True(r.State.Lawyers["a"].Active.ContainsKey("c1"));
        Assert.Equal("b", r.UpsertLawyer(R.Lawyer("b", "wage", "mandarin"), R.T0.AddSeconds(3)).SingleOffer().LawyerId);
        // b declines, but a is still disconnected: b is the only one on duty and gets it again.
        Assert.Equal("b", r.Decline("c2", "b", R.T0.AddSeconds(4)).SingleOffer().LawyerId);
        r.Accept("c2", "b", R.T0.AddSeconds(5)).Ok();
        r.Enqueue(R.Entry("c3"), R.T0.AddSeconds(6));
        Assert.Equal("a", r.LawyerConnected("a", R.T0.AddSeconds(7)).SingleOffer().LawyerId);
    }

    [Fact]
    public void GoingAway_RevokesOffersAndReroutes()
    {
        var r = R.TwoLawyers();
        r.Enqueue(R.Entry("c1"), R.T0.AddSeconds(2));
        var res = r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", status: LawyerStatus.Offline), R.T0.AddSeconds(3));
        Assert.Equal([new OfferWithdrawn("c1", "a", OfferRevokeReason.Cancelled)], res.Of<OfferWithdrawn>());
        Assert.Equal("b", res.SingleOffer().LawyerId);
        Assert.Empty(r.State.Queue["c1"].Exclusions);
    }

    [Fact]
    public void Remove_RevokesOfferAndFreesLawyer()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), R.T0);
        r.Enqueue(R.Entry("c1"), R.T0);
        r.Enqueue(R.Entry("c2"), R.T0.AddSeconds(1));
        var res = r.Remove("c1", R.T0.AddSeconds(2)).Ok();
        Assert.Contains(new OfferWithdrawn("c1", "a", OfferRevokeReason.Cancelled), res.Effects);
        Assert.Equal("c2", res.SingleOffer().ConsultationId);
        Assert.False(r.State.Queue.ContainsKey("c1"));
    }

    [Fact]
    public void Errors_ChangeNothing()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), R.T0);
        r.UpsertLawyer(R.Lawyer("b", "injury", "mandarin"), R.T0);
        r.Enqueue(R.Entry("c1"), R.T0);
        r.Enqueue(R.Entry("c2", "injury"), R.T0);
        r.Enqueue(R.Entry("c3"), R.T0);
        r.Accept("c2", "b", R.T0).Ok();
        var before = R.Json(r.State);
        var t = R.T0.AddSeconds(5);
        Assert.Equal(RoutingErrors.Conflict, r.Enqueue(R.Entry("c1"), t).ErrorCode);
        Assert.Equal(RoutingErrors.Conflict, r.Enqueue(R.Entry("c2"), t).ErrorCode);
        Assert.Equal(RoutingErrors.Validation, r.Enqueue(R.Entry("c9", ""), t).ErrorCode);
        Assert.Equal(RoutingErrors.NotOffered, r.Accept("c1", "b", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotOffered, r.Accept("c3", "a", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotOffered, r.Accept("c2", "b", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotFound, r.Accept("zz", "a", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotOffered, r.Decline("c1", "b", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotFound, r.Decline("zz", "a", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotFound, r.Release("c1", t, 1).ErrorCode);
        Assert.Equal(RoutingErrors.Validation, r.Release("c2", t, -1).ErrorCode);
        Assert.Equal(RoutingErrors.Conflict, r.Remove("c2", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotFound, r.Remove("zz", t).ErrorCode);
        Assert.Equal(RoutingErrors.Conflict, r.Claim("c2", "a", t).ErrorCode);
        Assert.Equal(RoutingErrors.Conflict, r.Claim("c3", "a", t).ErrorCode);
        Assert.Equal(RoutingErrors.Conflict, r.Claim("c3", "b", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotFound, r.Claim("zz", "a", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotFound, r.Claim("c3", "zz", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotFound, r.Requeue("zz", null, null, null, t).ErrorCode);
        Assert.Equal(RoutingErrors.Validation, r.Requeue("c2", "", null, null, t).ErrorCode);
        Assert.Equal(RoutingErrors.Validation, r.Requeue("c2", null, "a", "a", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotFound, r.LawyerDisconnected("zz", t).ErrorCode);
        Assert.Equal(RoutingErrors.Validation, r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: -1), t).ErrorCode);
        Assert.Equal(before, R.Json(r.State));
    }

    [Fact]
    public void Positions_PushedWhenTheyChange()
    {
        var r = R.Engine(new RoutingOptions { DefaultHandleSeconds = 100 });
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 2, status: LawyerStatus.Away), R.T0);
        Assert.Null(r.FlushPositions(R.T0)); // nothing queued
        r.Enqueue(R.Entry("c1"), R.T0).Ok();
        // Nobody eligible online: a position, no invented estimate.
        Assert.Equal([new QueuePosition("c1", 1, null, 0)], r.FlushPositions(R.T0)!.Positions);
        Assert.Null(r.FlushPositions(R.T0)); // no command since
        r.Enqueue(R.Entry("c2"), R.T0.AddSeconds(1)).Ok();
        Assert.Equal([new QueuePosition("c2", 2, null, 0)], r.FlushPositions(R.T0.AddSeconds(1))!.Positions);
        // Coalesced: two commands, one flush.
        r.Enqueue(R.Entry("other", "injury"), R.T0.AddSeconds(1)).Ok();
        r.Enqueue(R.Entry("c0", priority: 1), R.T0.AddSeconds(1)).Ok();
        Assert.Equal([new QueuePosition("c0", 1, null, 0), new QueuePosition("c1", 2, null, 0), new QueuePosition("c2", 3, null, 0),
            new QueuePosition("other", 1, null, 0)], r.FlushPositions(R.T0.AddSeconds(1))!.Positions);
        r.Remove("c0", R.T0.AddSeconds(1)).Ok();
        // Lawyer (capacity 2) online: c1 and c2 offered; nothing left to push for wage.
        var res = r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 2), R.T0.AddSeconds(2));
        Assert.Equal(2, res.Of<OfferMade>().Count);
        Assert.Null(r.FlushPositions(R.T0.AddSeconds(2)));
        Assert.Equal(new QueuePosition("c1", 0, 0, 1), r.GetPosition("c1", R.T0.AddSeconds(2)));
        r.Enqueue(R.Entry("c3"), R.T0.AddSeconds(3));
        // One eligible lawyer, both slots taken by offers about to start (100 s each): the first of two frees after 50 s.
        Assert.Equal(new QueuePosition("c3", 1, 50, 1), r.GetPosition("c3", R.T0.AddSeconds(3)));
        Assert.Null(r.GetPosition("zz", R.T0));
    }

    [Fact]
    public void NextDeadline_NullWhenNothingPending()
    {
        var r = R.Engine();
        Assert.Null(r.NextDeadline(R.T0));
        r.Enqueue(R.Entry("c1"), R.T0);
        Assert.Equal(R.T0.AddSeconds(60), r.NextDeadline(R.T0));
        Assert.Null(r.NextDeadline(R.T0.AddSeconds(200)));
    }

    [Fact]
    public void LoweringCapacity_RevokesExcessOffers()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 3), R.T0);
        r.Enqueue(R.Entry("c1"), R.T0);
        r.Enqueue(R.Entry("c2"), R.T0.AddSeconds(1));
        r.Enqueue(R.Entry("c3"), R.T0.AddSeconds(2));
        var res = r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin", capacity: 1), R.T0.AddSeconds(3));
        Assert.Equal(["c2", "c3"], res.Of<OfferWithdrawn>().Select(w => w.ConsultationId));
        Assert.Equal("a", r.State.Queue["c1"].OfferedTo);
    }

    [Fact]
    public void An_engine_over_a_saved_state_takes_any_command_first()
    {
        // The router replays its journal into a fresh engine: the first command may be anything (its indexes are built then).
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), R.T0).Ok();
        r.Enqueue(R.Entry("c1"), R.T0).Ok();
        r.Accept("c1", "a", R.T0.AddSeconds(1)).Ok();
        r.Enqueue(R.Entry("c2"), R.T0.AddSeconds(2)).Ok();
        var json = R.Json(r.State);
        RoutingEngine Fresh() => new(System.Text.Json.JsonSerializer.Deserialize<RouterState>(json)!, new RoutingOptions());
        var t = R.T0.AddSeconds(3);
        Assert.Equal("a", Assert.Single(Fresh().Release("c1", t, null).Ok().Of<OfferMade>()).LawyerId);
        Fresh().Requeue("c1", null, null, "a", t).Ok();
        Fresh().Remove("c2", t).Ok();
        Fresh().Claim("c2", "a", t);
        Fresh().LawyerConnected("a", t).Ok();
        Fresh().LawyerDisconnected("a", t).Ok();
        Fresh().Tick(t).Ok();
        Fresh().Recover(t).Ok();
        Assert.Equal(RoutingErrors.NotOffered, Fresh().Accept("c2", "a", t).ErrorCode);
        Assert.Equal(RoutingErrors.NotOffered, Fresh().Decline("c2", "a", t).ErrorCode);
        Assert.Equal(1, Fresh().GetPosition("c2", t)!.Position);
        Assert.NotNull(Fresh().NextDeadline(t));
        Assert.NotNull(Fresh().FlushPositions(t));
    }

    [Fact]
    public void State_RoundTripsThroughJson()
    {
        var r = R.Engine();
        r.UpsertLawyer(R.Lawyer("a", "wage", "mandarin"), R.T0);
        r.Enqueue(R.Entry("c1"), R.T0);
        r.Enqueue(R.Entry("c2"), R.T0);
        r.Accept("c1", "a", R.T0.AddSeconds(1));
        var json = R.Json(r.State);
        var copy = System.Text.Json.JsonSerializer.Deserialize<RouterState>(json)!;
        Assert.Equal(json, R.Json(copy));
        var r2 = new RoutingEngine(copy, new RoutingOptions());
        r2.UpsertLawyer(R.Lawyer("b", "wage", "mandarin"), R.T0.AddSeconds(2));
        Assert.Equal("b", copy.Queue["c2"].OfferedTo);
        r2.Requeue("c1", null, null, "a", R.T0.AddSeconds(3)).Ok();
        Assert.Equal(R.T0, copy.Queue["c1"].QueuedAt);
    }
}
