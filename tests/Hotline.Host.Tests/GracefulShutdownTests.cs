namespace Hotline.Host.Tests;

/// <summary>SIGTERM on the embedded silo: it closes its hub connections itself, stops within its budget with exit code 0,
/// and everything acknowledged is there after a restart on the same folder.</summary>
public sealed class GracefulShutdownTests(ITestOutputHelper output) : ScratchTest("hotline-sigterm-")
{
    [Fact]
    public async Task Sigterm_closes_hub_connections_and_stops_within_the_budget_keeping_acknowledged_messages()
    {
        var settings = new Dictionary<string, string> { ["Logging__LogLevel__Hotline.Silo.Hosting"] = "Information" };
        var silo = await SiloProcess.StartAsync(Folder, settings);
        Track(silo);
        var rest = new HotlineRest(new HttpClient { BaseAddress = silo.Url });
        var worker = await rest.CreateWorker("停机工人");
        var consultation = await rest.OpenConsultation(worker.Token, "unpaid_wages", "mandarin", "工资拖欠三个月");
        var hub = HotlineConnection.Worker(silo.Url, worker.Token);
        Track(hub);
        await hub.StartAsync();
        await hub.JoinConsultation(consultation.Id);
        var acked = new List<long>();
        for (var i = 0; i < 5; i++) acked.Add((await hub.SendMessage(consultation.Id, $"消息 {i}")).Seq);

        var took = await silo.TerminateAsync();
        output.WriteLine($"stopped {took.TotalSeconds:0.00} s after SIGTERM, exit code {silo.ExitCode}\n{silo.Output}");
        Assert.True(took < TimeSpan.FromSeconds(30), $"took {took.TotalSeconds:0.0} s");
        Assert.Equal(0, silo.ExitCode);
        Assert.True(silo.Printed("Shutting down: closed 1 hub connection(s)"), "the silo did not close the hub connection itself");

        var again = await SiloProcess.StartAsync(Folder);
        Track(again);
        var messages = await new HotlineRest(new HttpClient { BaseAddress = again.Url }).GetMessages(worker.Token, consultation.Id);
        Assert.Equal(acked, messages.Select(m => m.Seq));
    }
}
