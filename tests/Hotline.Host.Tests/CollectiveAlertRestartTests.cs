namespace Hotline.Host.Tests;

/// <summary>Issue 12: a collective-dispute alert is durable: it survives <c>kill -9</c> of the silo, and keeps counting after.</summary>
public sealed class CollectiveAlertRestartTests() : ScratchTest("hotline-alert-restart-")
{
    [Fact]
    public async Task An_open_alert_survives_kill_9_and_later_mentions_join_it()
    {
        var settings = new Dictionary<string, string> { ["Hotline__Collective__Threshold"] = "3", ["Hotline__Collective__WindowDays"] = "14" };
        var silo = await SiloProcess.StartAsync(Folder, settings);
        Track(silo);
        var rest = new HotlineRest(new HttpClient { BaseAddress = silo.Url });
        var ids = new List<string>();
        foreach (var employer in new[] { "漳州ＸＹＺ食品有限公司", "漳州 xyz 食品", "漳州XYZ食品股份有限公司" })
        {
            var worker = await rest.CreateWorker();
            ids.Add((await rest.OpenConsultation(worker.Token, "unpaid_wages", "minnan", "工厂停工两个月没发工资", employer: employer, region: "zhangzhou")).Id);
        }
        var before = Assert.Single(await rest.GetAlerts((await rest.Login("admin", SiloProcess.AdminPassword)).Token));
        Assert.Equal(ids, before.ConsultationIds);

        silo.KillHard();
        var restarted = await SiloProcess.StartAsync(Folder, settings);
        Track(restarted);
        var after = new HotlineRest(new HttpClient { BaseAddress = restarted.Url });
        var admin = (await after.Login("admin", SiloProcess.AdminPassword)).Token;
        var alert = Assert.Single(await after.GetAlerts(admin, "open"));
        Assert.Equal(before.Id, alert.Id);
        Assert.Equal(ids, alert.ConsultationIds);
        Assert.Equal(3, alert.Workers);
        Assert.Equal("zhangzhou", alert.Region);

        // The mentions survived too: a fourth worker joins the same alert, no second one opens.
        var fourth = await after.CreateWorker();
        var c4 = await after.OpenConsultation(fourth.Token, "unpaid_wages", "minnan", "我也是", employer: "漳州xyz食品厂");
        var grown = Assert.Single(await after.GetAlerts(admin));
        Assert.Equal([.. ids, c4.Id], grown.ConsultationIds);
        Assert.Equal(4, grown.Workers);
    }
}
