namespace Hotline.Host.Tests;

/// <summary>
/// Issue 9: after a restart, a lawyer's grace period counts from when a connection of theirs was last seen, not from
/// the restart. A lawyer holding a consultation is connected when the process is killed -9 and never comes back; the
/// next process runs on the same data with its clock 700 s later (<c>Hotline:Testing:ClockOffset</c>), past the 600 s
/// grace period. The consultation must go to the lawyer on duty within seconds (the settle time for live connections),
/// not after another full 600 s.
/// </summary>
public sealed class GraceAfterRestartTests() : ScratchTest("hotline-grace-")
{
    private const string Category = "work_injury";
    private const string Dialect = "puxian";

    private async Task<(SiloProcess Silo, HotlineRest Api, string Admin)> Start(TimeSpan clockOffset)
    {
        var silo = Track(await SiloProcess.StartAsync(Folder, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Hotline__Grains__LawyerGraceSeconds"] = "600",
            ["Hotline__Testing__ClockOffset"] = clockOffset.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        }));
        var rest = new HotlineRest(new HttpClient { BaseAddress = silo.Url });
        return (silo, rest, (await rest.Login("admin", SiloProcess.AdminPassword)).Token);
    }

    private static async Task<HotlineConnection> OnDuty(SiloProcess silo, HotlineRest rest, string admin, string username)
    {
        await rest.CreateLawyer(admin, username, "password-123", "工伤律师 " + username, [Category], [Dialect], 1);
        var lawyer = HotlineConnection.Lawyer(silo.Url, (await rest.Login(username, "password-123")).Token);
        await lawyer.StartAsync();
        await lawyer.Invoke<JsonElement>("SetAvailability", ["available"]);
        return lawyer;
    }

    [Fact]
    public async Task A_lawyer_gone_with_the_killed_process_loses_the_consultation_soon_after_the_restart_when_the_grace_period_already_passed()
    {
        var (silo, rest, admin) = await Start(TimeSpan.Zero);
        string id;
        await using (var gone = await OnDuty(silo, rest, admin, "grace-a"))
        {
            var worker = await rest.CreateWorker("工人");
            var c = await rest.OpenConsultation(worker.Token, Category, Dialect, "工地摔伤，老板不给报工伤");
            await gone.AcceptOffer((await gone.Offers.WaitAsync(o => o.ConsultationId == c.Id)).ConsultationId);
            id = c.Id;
            silo.KillHard(); // the lawyer's connection dies with the process and never comes back
        }

        var (later, laterRest, laterAdmin) = await Start(TimeSpan.FromSeconds(700));
        await using var onDuty = await OnDuty(later, laterRest, laterAdmin, "grace-b");
        // Last seen 700 s ago on this clock: the grace period (600 s) is over, so only the 15 s settle time remains.
        var offer = await onDuty.Offers.WaitAsync(o => o.ConsultationId == id, TimeSpan.FromSeconds(90));
        var joined = await onDuty.AcceptOffer(offer.ConsultationId);
        Assert.Equal("active", joined.Consultation.Status);
        Assert.Equal((await laterRest.Login("grace-b", "password-123")).UserId, joined.Consultation.AssignedLawyerId);
    }
}
