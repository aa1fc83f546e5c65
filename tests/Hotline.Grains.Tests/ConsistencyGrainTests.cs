namespace Hotline.Grains.Tests;

/// <summary>The reconciliation on a real silo and its SQLite store: it finds a waiting consultation the router lost.</summary>
[Collection(nameof(ClusterCollection))]
public sealed class ConsistencyGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_queued_consultation_the_router_lost_is_found_in_the_store_and_routed_again()
    {
        var category = "cat-" + Guid.NewGuid().ToString("N")[..8];
        var id = "c-" + Guid.NewGuid().ToString("N");
        await fixture.Grains.GetGrain<IConsultationGrain>(id).Open(new OpenConsultation
        {
            WorkerId = "w-" + Guid.NewGuid().ToString("N"), Category = category, Dialect = "minnan", Summary = "路由丢了我",
        });
        var router = fixture.Grains.GetGrain<IRouterGrain>(GrainKeys.Hotline);
        await router.Remove(id); // the router loses it; the consultation still reads queued
        Assert.Equal(RouterPlacement.None, (await router.GetEntry(id)).Placement);

        var consistency = fixture.Grains.GetGrain<IConsistencyGrain>(GrainKeys.Hotline);
        var found = (await consistency.Check(repair: false)).Mismatches.Single(m => m.ConsultationId == id);
        Assert.Equal((ConsultationStatus.Queued, RouterPlacement.None, ConsistencyRepair.EnqueueInRouter, false),
            (found.Status!.Value, found.Router, found.Repair, found.Repaired));

        Assert.Contains((await consistency.Check(repair: true)).Mismatches, m => m.ConsultationId == id && m.Repaired);
        Assert.Equal(RouterPlacement.Queued, (await router.GetEntry(id)).Placement);
        Assert.DoesNotContain((await consistency.Check(repair: false)).Mismatches, m => m.ConsultationId == id);

        // Routed again: a lawyer who fits gets the offer.
        var username = "t" + Guid.NewGuid().ToString("N")[..10];
        var lawyer = fixture.Grains.GetGrain<ILawyerGrain>(GrainKeys.LawyerId(username));
        await lawyer.Register(new LawyerProfile
        {
            Username = username, DisplayName = "律师 " + username, PasswordHash = "x", Skills = [category], Dialects = ["minnan"], Capacity = 1,
        }, overwrite: false);
        await lawyer.Connected("conn-" + username);
        await ClusterFixture.Notifier.WaitFor<OfferEvent>("lawyer", GrainKeys.LawyerId(username), nameof(ILawyerClient.Offer), o => o.ConsultationId == id);
    }
}
