namespace Hotline.Host.Tests;

/// <summary>
/// Issue 10: the retention purge is a durable job. A consultation closed by one process, which is then killed -9, is
/// purged by the next process started on the same data 181 days later (<c>Hotline:Testing:ClockOffset</c>), and the
/// purge is in the audit log.
/// </summary>
public sealed class RetentionRestartTests : IAsyncLifetime
{
    private const string Category = "social_insurance";
    private const string Dialect = "hakka";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "hotline-retention-" + Guid.NewGuid().ToString("N"));
    private readonly List<IAsyncDisposable> _disposables = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_disposables)) await d.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private async Task<SiloProcess> Start(TimeSpan clockOffset)
    {
        var silo = await SiloProcess.StartAsync(_data, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Hotline__Privacy__RetentionDays"] = "180",
            ["Hotline__Testing__ClockOffset"] = clockOffset.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        });
        _disposables.Add(silo);
        return silo;
    }

    [Fact]
    public async Task A_closed_consultation_is_purged_by_the_process_that_runs_after_a_kill_9_and_the_purge_is_audited()
    {
        var silo = await Start(TimeSpan.Zero);
        var rest = new HotlineRest(new HttpClient { BaseAddress = silo.Url });
        var admin = (await rest.Login("admin", SiloProcess.AdminPassword)).Token;
        await rest.CreateLawyer(admin, "keep-a", "password-123", "留存律师", [Category], [Dialect], 1);
        var lawyerLogin = await rest.Login("keep-a", "password-123");
        await using (var lawyer = HotlineConnection.Lawyer(silo.Url, lawyerLogin.Token))
        {
            await lawyer.StartAsync();
            await lawyer.Invoke<JsonElement>("SetAvailability", ["available"]);
            var worker = await rest.CreateWorker("工人");
            var c = await rest.OpenConsultation(worker.Token, Category, Dialect, "社保断缴，公司叫我自己交");
            await lawyer.AcceptOffer((await lawyer.Offers.WaitAsync(o => o.ConsultationId == c.Id)).ConsultationId);
            await lawyer.SendMessage(c.Id, "请带上劳动合同和工资条");
            await lawyer.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", "去社保中心申请补缴"]);
            Assert.Equal("请带上劳动合同和工资条", Assert.Single(await rest.GetMessages(lawyerLogin.Token, c.Id)).Text);

            // Not due yet: the first process does not purge it.
            Assert.Equal("closed", (await rest.GetConsultation(lawyerLogin.Token, c.Id)).Status);
            silo.KillHard();

            var later = await Start(TimeSpan.FromDays(181));
            rest = new HotlineRest(new HttpClient { BaseAddress = later.Url });
            admin = (await rest.Login("admin", SiloProcess.AdminPassword)).Token;
            // The job runs at start: poll the audit log (an endpoint, not an event) until the purge shows.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var audit = await rest.Send<JsonElement>(HttpMethod.Get, $"/api/admin/audit?consultationId={c.Id}", admin);
                if (audit.EnumerateArray().Any(e => e.GetProperty("action").GetString() == "purge")) break;
                Assert.True(DateTime.UtcNow < deadline, "no purge within 60 s of the restart: " + audit);
                await Task.Delay(250);
            }
            var token = (await rest.Login("keep-a", "password-123")).Token;
            Assert.Equal("", Assert.Single(await rest.GetMessages(token, c.Id)).Text);
            Assert.Equal("", (await rest.GetConsultation(token, c.Id)).Summary);
        }
    }
}
