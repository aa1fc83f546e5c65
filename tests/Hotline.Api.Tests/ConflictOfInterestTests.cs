namespace Hotline.Api.Tests;

/// <summary>Issue 12: conflicts of interest are enforced by routing, and a late declaration sends an active consultation back.</summary>
[Collection(MainCollection.Name)]
public sealed class ConflictOfInterestTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    [Fact]
    public async Task A_conflicted_lawyer_is_passed_over_and_a_late_conflict_sends_the_consultation_back()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var tag = Guid.NewGuid().ToString("N")[..6];
        var l = await kit.Lawyer([category], dialect, capacity: 3);
        var declared = await l.Hub.Invoke<Lawyer>("DeclareConflict", [$"福州{tag}纺织有限公司"]);
        Assert.Equal([$"福州{tag}纺织有限公司"], declared.Conflicts);
        Assert.Equal("validation_failed", await TestKit.HubError(() => l.Hub.Invoke<Lawyer>("DeclareConflict", ["有限公司"])));

        // The conflicted consultation is older, yet L is offered the newer one only: routing skipped the conflict.
        var w1 = await kit.Worker();
        var conflicted = await kit.Rest.OpenConsultation(w1.Token, category, dialect, "工资被扣", employer: $"福州 {tag.ToUpperInvariant()} 纺织");
        var w0 = await kit.Worker();
        var other = await kit.Open(w0, category, dialect);
        await l.Hub.Offers.WaitAsync(o => o.ConsultationId == other.Id, Wait);
        await l.Hub.AcceptOffer(other.Id);
        var m = await kit.Lawyer([category], dialect, capacity: 3);
        await m.Hub.Offers.WaitAsync(o => o.ConsultationId == conflicted.Id, Wait);
        await m.Hub.AcceptOffer(conflicted.Id);
        Assert.DoesNotContain(l.Hub.Offers.Items, o => o.ConsultationId == conflicted.Id);

        // L takes a consultation of another employer, then declares a conflict with it (spelt differently): it goes back to
        // routing, to M, and never again to L.
        var w2 = await kit.Worker();
        var late = await kit.Rest.OpenConsultation(w2.Token, category, dialect, "工伤", employer: $"宁德{tag}电池股份有限公司");
        var toL = l.Hub.Offers.WaitAsync(o => o.ConsultationId == late.Id, Wait);
        var toM = m.Hub.Offers.WaitAsync(o => o.ConsultationId == late.Id, Wait);
        var first = await Task.WhenAny(toL, toM) == toL ? l : m;
        var second = first == l ? m : l;
        await first.Hub.AcceptOffer(late.Id);
        await first.Hub.Invoke<Lawyer>("DeclareConflict", [$"宁德 {tag} 电池"]);
        await second.Hub.Offers.WaitAsync(o => o.ConsultationId == late.Id, Wait);
        var taken = await second.Hub.AcceptOffer(late.Id);
        Assert.Equal(second.Id, taken.Consultation.AssignedLawyerId);
        await w2.Hub.Assignments.WaitAsync(a => a.ConsultationId == late.Id && a.LawyerId == second.Id, Wait);
        Assert.Single(first.Hub.Offers.Items, o => o.ConsultationId == late.Id);
        Assert.Contains($"宁德 {tag} 电池", (await kit.RosterEntry(first.Id)).Conflicts);
    }
}
