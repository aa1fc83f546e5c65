namespace Hotline.Host.Tests;

/// <summary>Durability of the embedded mode: everything acknowledged survives <c>kill -9</c> of the silo.</summary>
public sealed class RestartTests(ITestOutputHelper output) : ScratchTest("hotline-restart-")
{
    [Fact]
    public async Task Five_queued_and_three_active_consultations_with_messages_survive_kill_9()
    {
        var silo = Track(await SiloProcess.StartAsync(Folder));
        var rest = new HotlineRest(new HttpClient { BaseAddress = silo.Url });
        var admin = await rest.Login("admin", SiloProcess.AdminPassword);

        // Three lawyers of capacity 1 in a category and dialect no demo lawyer is connected for.
        var lawyers = new List<(string Id, HotlineConnection Hub)>();
        for (var i = 0; i < 3; i++)
        {
            var name = $"restart{i}";
            await rest.CreateLawyer(admin.Token, name, "password-123", $"重启律师{i}", ["occupational_safety"], ["puxian"], 1);
            var login = await rest.Login(name, "password-123");
            var hub = Track(HotlineConnection.Lawyer(silo.Url, login.Token));
            await hub.StartAsync();
            lawyers.Add((login.UserId, hub));
        }

        var workers = new List<(string Token, Consultation Consultation, HotlineConnection Hub)>();
        for (var i = 0; i < 8; i++)
        {
            var worker = await rest.CreateWorker($"工人{i}");
            var consultation = await rest.OpenConsultation(worker.Token, "occupational_safety", "puxian", $"车间没有防护设备 #{i}");
            var hub = Track(HotlineConnection.Worker(silo.Url, worker.Token));
            await hub.StartAsync();
            await hub.JoinConsultation(consultation.Id);
            workers.Add((worker.Token, consultation, hub));
        }

        // Each lawyer accepts the one offer its capacity allows.
        var active = new Dictionary<string, (string LawyerId, HotlineConnection Hub)>();
        foreach (var (id, hub) in lawyers)
        {
            var offer = await hub.Offers.WaitAsync();
            await hub.AcceptOffer(offer.ConsultationId);
            active[offer.ConsultationId] = (id, hub);
        }
        Assert.Equal(3, active.Count);

        // Messages: both ways on the active ones, the worker alone on the queued ones.
        var sent = new Dictionary<string, List<string>>();
        foreach (var (_, consultation, hub) in workers)
        {
            sent[consultation.Id] = [];
            for (var m = 0; m < 3; m++)
            {
                var text = $"工人消息 {m} {consultation.Id[^4..]}";
                await hub.SendMessage(consultation.Id, text);
                sent[consultation.Id].Add(text);
                if (active.TryGetValue(consultation.Id, out var lawyer))
                {
                    var reply = $"律师回复 {m}";
                    await lawyer.Hub.SendMessage(consultation.Id, reply);
                    sent[consultation.Id].Add(reply);
                }
            }
        }

        silo.KillHard();
        output.WriteLine($"killed silo {silo.Pid}");
        var restarted = Track(await SiloProcess.StartAsync(Folder));
        var after = new HotlineRest(new HttpClient { BaseAddress = restarted.Url });

        foreach (var (token, consultation, _) in workers)
        {
            var view = await after.GetConsultation(token, consultation.Id);
            var messages = await after.GetMessages(token, consultation.Id, 0, 100);
            if (active.TryGetValue(consultation.Id, out var lawyer))
            {
                Assert.Equal("active", view.Status);
                Assert.Equal(lawyer.LawyerId, view.AssignedLawyerId);
            }
            else
            {
                Assert.Contains(view.Status, new[] { "queued", "offered" });
            }
            Assert.Equal(Enumerable.Range(1, sent[consultation.Id].Count).Select(i => (long)i), messages.Select(m => m.Seq));
            Assert.Equal(sent[consultation.Id], messages.Select(m => m.Text));
            Assert.Equal(messages.Count, view.LastSeq);
        }

        // The hotline goes on: a worker token from before the crash still works, and the queue is still routed.
        var (firstToken, firstConsultation, _) = workers.First(w => !active.ContainsKey(w.Consultation.Id));
        var resumed = Track(HotlineConnection.Worker(restarted.Url, firstToken));
        await resumed.StartAsync();
        var joined = await resumed.JoinConsultation(firstConsultation.Id, 0);
        Assert.Equal(3, joined.Missed.Count);
        var metrics = await after.GetMetrics((await after.Login("admin", SiloProcess.AdminPassword)).Token);
        Assert.Equal(5, metrics.Consultations.Queued + metrics.Consultations.Offered);
        Assert.Equal(3, metrics.Consultations.Active);
    }
}
