namespace Hotline.Api.Tests;

/// <summary>Issue 12, item 6: <c>MetricsSnapshot.regions</c> counts waiting (live) and answered (today) per region.</summary>
[Collection(MainCollection.Name)]
public sealed class RegionMetricsTests(HotlineHost host)
{
    /// <summary>Only this test names Sanming, so the region's figures are its own on the shared host.</summary>
    private const string Region = "sanming";

    [Fact]
    public async Task Metrics_count_waiting_and_answered_per_region()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var worker = await kit.Worker(connect: false);
            ids.Add((await kit.Rest.OpenConsultation(worker.Token, category, dialect, "工资被拖欠", region: Region)).Id);
        }
        var other = await kit.Worker(connect: false);
        await kit.Rest.OpenConsultation(other.Token, category, dialect, "没有填地区");

        var waiting = await MetricsUntil(kit, admin, r => r.Waiting + r.Offered == 2);
        Assert.Equal(2, waiting.Arrived);
        Assert.Equal(0, waiting.Answered);

        var lawyer = await kit.Lawyer([category], dialect, capacity: 1);
        var offer = await lawyer.Hub.Offers.WaitAsync(o => ids.Contains(o.ConsultationId), TestKit.Wait);
        await lawyer.Hub.AcceptOffer(offer.ConsultationId);

        var answered = await MetricsUntil(kit, admin, r => r.Answered == 1 && r.Waiting + r.Offered == 1);
        Assert.Equal(2, answered.Arrived);
        Assert.InRange(answered.ServiceLevel, 0, 1);
    }

    /// <summary>The region's entry of <c>GET /api/admin/metrics</c> once it satisfies <paramref name="done"/> (30 s at most).</summary>
    private static async Task<RegionMetrics> MetricsUntil(TestKit kit, string admin, Func<RegionMetrics, bool> done)
    {
        RegionMetrics? last = null;
        return await Wait.For(async () =>
        {
            last = (await kit.Rest.GetMetrics(admin)).Regions?.SingleOrDefault(r => r.Region == Region);
            return last is not null && done(last) ? last : null;
        }, TimeSpan.FromSeconds(30), () => $"region {Region} with the expected figures; last: {last}");
    }
}
