namespace Hotline.Api.Tests;

/// <summary>Contract "Nobody stranded": pull (GetQueue, Claim) and the admin requeue, over real SignalR connections.</summary>
[Collection(MainCollection.Name)]
public sealed class PullTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TestKit.Wait;

    [Fact]
    public async Task A_lawyer_sees_what_waits_for_them_takes_it_and_an_admin_can_put_it_back()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var a = await kit.Lawyer([category], dialect, capacity: 1);
        var b = await kit.Lawyer([category], dialect);
        await b.Hub.Invoke<Lawyer>("SetAvailability", ["away"]); // b gets no offers, but may pull
        var worker = await kit.Worker();
        var (first, _) = await kit.OpenAndAccept(worker, a, category, dialect);
        var waiting = await kit.Open(worker, category, dialect); // a is full, b away: it waits

        var queue = await b.Hub.Invoke<List<Consultation>>("GetQueue", []);
        var listed = Assert.Single(queue, c => c.Id == waiting.Id);
        Assert.Equal("queued", listed.Status);

        var claimed = await b.Hub.Invoke<JoinResult>("Claim", [waiting.Id]);
        Assert.Equal(("active", b.Id), (claimed.Consultation.Status, claimed.Consultation.AssignedLawyerId));
        await worker.Hub.Assignments.WaitAsync(x => x.ConsultationId == waiting.Id && x.LawyerId == b.Id, Wait);
        Assert.DoesNotContain(await b.Hub.Invoke<List<Consultation>>("GetQueue", []), c => c.Id == waiting.Id);

        // a has no free capacity: a claim is refused and changes nothing.
        var third = await kit.Open(worker, category, dialect);
        Assert.Equal("conflict", await TestKit.HubError(() => a.Hub.Invoke<JoinResult>("Claim", [third.Id])));
        Assert.Equal("queued", (await kit.Rest.GetConsultation(worker.Token, third.Id)).Status);

        // Admin: the active consultation goes back to routing, and b can take it again.
        var admin = await kit.AdminToken();
        var requeued = await kit.Rest.Send<Consultation>(HttpMethod.Post, $"/api/admin/consultations/{waiting.Id}/requeue", admin, new { });
        Assert.Equal(("queued", (string?)null), (requeued.Status, requeued.AssignedLawyerId));
        // Its metadata only: a requeue grants the admin no reading of the case (that is the audited grant).
        Assert.Equal(("", (string?)null), (requeued.Summary, requeued.WorkerName));
        await worker.Hub.StatusChanges.WaitAsync(s => s.ConsultationId == waiting.Id && s.Status == "queued", Wait);
        Assert.Contains(await b.Hub.Invoke<List<Consultation>>("GetQueue", []), c => c.Id == waiting.Id);
        Assert.Equal(b.Id, (await b.Hub.Invoke<JoinResult>("Claim", [waiting.Id])).Consultation.AssignedLawyerId);

        // A finished consultation cannot be requeued; an unknown one is not found.
        await a.Hub.Invoke<Consultation>("CloseConsultation", [first.Id, "answered", null]);
        Assert.Equal((409, "conflict"), await TestKit.RestError(() =>
            kit.Rest.Send<Consultation>(HttpMethod.Post, $"/api/admin/consultations/{first.Id}/requeue", admin, new { })));
        Assert.Equal((404, "not_found"), await TestKit.RestError(() =>
            kit.Rest.Send<Consultation>(HttpMethod.Post, $"/api/admin/consultations/c-{Guid.NewGuid():N}/requeue", admin, new { })));
    }

    [Fact]
    public async Task A_lawyer_who_declined_neither_sees_nor_takes_it_by_pull_while_someone_else_on_duty_could()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var a = await kit.Lawyer([category], dialect);
        await a.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        var c = await kit.Open(await kit.Worker(), category, dialect);
        await a.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        // Another lawyer on duty, then a declines: the consultation is offered to the other one.
        var b = await kit.Lawyer([category], dialect);
        await b.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        await a.Hub.Invoke("DeclineOffer", c.Id);
        await b.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);

        // Declining ended a's view of it (need-to-know): their queue does not show it, and a claim is refused. (Before,
        // pull ignored exclusions: a read its summary again at once and could take it from under b's offer.)
        Assert.DoesNotContain(await a.Hub.Invoke<List<Consultation>>("GetQueue", []), x => x.Id == c.Id);
        Assert.Equal("conflict", await TestKit.HubError(() => a.Hub.Invoke<JoinResult>("Claim", [c.Id])));
        var taken = await b.Hub.AcceptOffer(c.Id);
        Assert.Equal(b.Id, taken.Consultation.AssignedLawyerId);
        await TestKit.CloseAnswered(b, c.Id);
    }
}
