namespace Hotline.Host.Tests;

/// <summary>
/// One truth between consultations and the router, and durable deadlines, on real processes: the silo dies
/// (<c>Hotline:Testing:CrashAt</c> calls FailFast between a consultation's write and its router command, or kill -9),
/// restarts on the same data, and the reconciliation and the reminders bring everything back without anyone's help.
/// </summary>
public sealed class OneTruthTests(ITestOutputHelper output) : ScratchTest("hotline-onetruth-")
{
    private const string Category = "occupational_safety";
    private const string Dialect = "puxian";

    private async Task<SiloProcess> Start(string? crashAt = null, double graceSeconds = 120)
    {
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Hotline__Grains__ReconcileSeconds"] = "1",
            ["Hotline__Grains__LawyerGraceSeconds"] = graceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (crashAt is not null) settings["Hotline__Testing__CrashAt"] = crashAt;
        return Track(await SiloProcess.StartAsync(Folder, settings));
    }

    private static async Task<(string Id, string Token)> NewLawyer(HotlineRest rest, string adminToken, string name)
    {
        await rest.CreateLawyer(adminToken, name, "password-123", "一真律师 " + name, [Category], [Dialect], 1);
        var login = await rest.Login(name, "password-123");
        return (login.UserId, login.Token);
    }

    private async Task<HotlineConnection> Online(Uri url, string token)
    {
        var hub = Track(HotlineConnection.Lawyer(url, token));
        await hub.StartAsync();
        await hub.Invoke<JsonElement>("SetAvailability", ["available"]);
        return hub;
    }

    /// <summary>Polls the admin check until the reconciliation has repaired everything (or fails after 60 s).</summary>
    private async Task AssertConsistent(HotlineRest rest, string adminToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement report;
        while (true)
        {
            report = await rest.Send<JsonElement>(HttpMethod.Get, "/api/admin/diagnostics/consistency", adminToken);
            if (report.GetProperty("mismatches").GetArrayLength() == 0) break;
            output.WriteLine("mismatches: " + report.GetProperty("mismatches"));
            Assert.True(DateTime.UtcNow < deadline, "still inconsistent after 60 s: " + report);
            await Task.Delay(250); // polling an endpoint, not waiting for an event
        }
        output.WriteLine($"consistent: {report}");
    }

    [Theory]
    [InlineData("open")]
    [InlineData("transfer")]
    [InlineData("requeue")]
    [InlineData("accept")]
    [InlineData("close")]
    [InlineData("abandon")]
    public async Task A_crash_between_consultation_and_router_is_repaired_and_nobody_is_stranded(string step)
    {
        var silo = await Start(crashAt: step);
        var rest = new HotlineRest(new HttpClient { BaseAddress = silo.Url });
        var admin = (await rest.Login("admin", SiloProcess.AdminPassword)).Token;
        var a = await NewLawyer(rest, admin, "truth-a");
        var b = await NewLawyer(rest, admin, "truth-b");
        var worker = await rest.CreateWorker("工人");
        string? waiting = null; // a consultation that must be offered after the restart
        string? activeWithA = null; // accept: the consultation the router assigned to a before the crash
        string? abandoned = null; // abandon: the consultation the worker left

        if (step == "open")
        {
            await Assert.ThrowsAnyAsync<Exception>(() => rest.OpenConsultation(worker.Token, Category, Dialect, "开单时崩溃"));
        }
        else if (step == "abandon")
        {
            // Nobody is online: the worker gives up waiting (queued -> abandoned, written before the router forgets it).
            abandoned = (await rest.OpenConsultation(worker.Token, Category, Dialect, "不等了")).Id;
            var hub = Track(HotlineConnection.Worker(silo.Url, worker.Token));
            await hub.StartAsync();
            Ignore(hub.Invoke<JsonElement>("CloseConsultation", [abandoned, null, null]));
        }
        else
        {
            var lawyerA = await Online(silo.Url, a.Token);
            var first = await rest.OpenConsultation(worker.Token, Category, Dialect, "第一个咨询");
            var offered = await lawyerA.Offers.WaitAsync(o => o.ConsultationId == first.Id);
            if (step == "accept")
            {
                activeWithA = first.Id; // the router assigns it, the consultation never hears
                Ignore(lawyerA.AcceptOffer(offered.ConsultationId));
            }
            else
            {
                await lawyerA.AcceptOffer(offered.ConsultationId);
                if (step == "transfer")
                {
                    waiting = first.Id;
                    Ignore(lawyerA.Invoke<JsonElement>("Transfer", [first.Id, new { toCategory = Category }]));
                }
                else if (step == "requeue")
                {
                    waiting = first.Id;
                    Ignore(rest.Send<JsonElement>(HttpMethod.Post, $"/api/admin/consultations/{first.Id}/requeue", admin, new { }));
                }
                else
                {
                    waiting = (await rest.OpenConsultation(worker.Token, Category, Dialect, "等待中的咨询")).Id; // a is full (capacity 1)
                    Ignore(lawyerA.Invoke<JsonElement>("CloseConsultation", [first.Id, "answered", null]));
                }
            }
        }
        await WaitForExit(silo);
        output.WriteLine($"silo died at '{step}'");

        var restarted = await Start();
        rest = new HotlineRest(new HttpClient { BaseAddress = restarted.Url });
        admin = (await rest.Login("admin", SiloProcess.AdminPassword)).Token;
        await AssertConsistent(rest, admin);

        // Every queued consultation is offered once a lawyer is available: after a transfer the other lawyer (the
        // transfer excludes the one who sent it), after a close the lawyer whose capacity the close freed; after a
        // requeue b (a's connection died with the silo); after an accept b (a holds the accepted one, capacity 1).
        var lawyer = await Online(restarted.Url, step == "close" ? a.Token : b.Token);
        waiting ??= (await rest.OpenConsultation(worker.Token, Category, Dialect, "重启后的咨询")).Id;
        var offer = await lawyer.Offers.WaitAsync(o => o.ConsultationId == waiting, TimeSpan.FromSeconds(60));
        await lawyer.AcceptOffer(offer.ConsultationId);
        Assert.Equal("active", (await rest.GetConsultation(worker.Token, waiting)).Status);
        if (activeWithA is not null)
        {
            var view = await rest.GetConsultation(worker.Token, activeWithA);
            Assert.Equal(("active", a.Id), (view.Status, view.AssignedLawyerId));
        }
        if (abandoned is not null) Assert.Equal("abandoned", (await rest.GetConsultation(worker.Token, abandoned)).Status);
        await AssertConsistent(rest, admin);
    }

    [Fact]
    public async Task A_lawyer_whose_silo_is_killed_and_who_never_returns_loses_the_chat_to_another_after_the_grace_period()
    {
        var silo = await Start(graceSeconds: 3);
        var rest = new HotlineRest(new HttpClient { BaseAddress = silo.Url });
        var admin = (await rest.Login("admin", SiloProcess.AdminPassword)).Token;
        var a = await NewLawyer(rest, admin, "night-a");
        var b = await NewLawyer(rest, admin, "night-b");
        var lawyerA = await Online(silo.Url, a.Token);
        var worker = await rest.CreateWorker("夜班工人");
        var chat = await rest.OpenConsultation(worker.Token, Category, Dialect, "夜里被拖欠工资");
        await lawyerA.AcceptOffer((await lawyerA.Offers.WaitAsync(o => o.ConsultationId == chat.Id)).ConsultationId);

        silo.KillHard(); // lawyer a never comes back: the new process listens on another port

        var restarted = await Start(graceSeconds: 3);
        rest = new HotlineRest(new HttpClient { BaseAddress = restarted.Url });
        var lawyerB = await Online(restarted.Url, b.Token);
        // The grace deadline is durable: it fires in the new process although no connection of a ever reached it.
        var offer = await lawyerB.Offers.WaitAsync(o => o.ConsultationId == chat.Id, TimeSpan.FromSeconds(60));
        await lawyerB.AcceptOffer(offer.ConsultationId);
        var view = await rest.GetConsultation(worker.Token, chat.Id);
        Assert.Equal(("active", b.Id), (view.Status, view.AssignedLawyerId));
    }

    /// <summary>The hub call dies with the silo; the client would retry it against the dead address until disposed.</summary>
    private static void Ignore(Task call) => call.ContinueWith(t => t.Exception, TaskScheduler.Default);

    private static async Task WaitForExit(SiloProcess silo)
    {
        // FailFast ends the process at once; the failed call above may return just before it is gone.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await silo.WaitForExitAsync(cts.Token);
    }
}
