using System.Collections.Concurrent;

namespace Hotline.Api.Tests;

/// <summary>Issue 3, test 10 (must-show): 50 workers and 10 lawyers on real connections at once.</summary>
[Collection(LoadCollection.Name)]
public sealed class LoadTests(LoadHost host)
{
    private const int Lawyers = 10;
    private const int Workers = 50;
    private const int PerSide = 5;

    [Fact]
    public async Task Fifty_workers_and_ten_lawyers_every_message_arrives_exactly_once_in_order()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();

        var lawyers = new List<TestLawyer>();
        for (var i = 0; i < Lawyers; i++) lawyers.Add(await kit.Lawyer([category], dialect, capacity: 5, connect: false, name: $"Load lawyer {i}"));
        var acceptErrors = new ConcurrentQueue<Exception>();
        var accepted = new ConcurrentDictionary<string, TestLawyer>();
        var accepting = new ConcurrentBag<Task>();
        foreach (var lawyer in lawyers)
        {
            // Each lawyer accepts every offer as it arrives.
            lawyer.Hub.Offers.Added += offer => accepting.Add(Task.Run(async () =>
            {
                try
                {
                    await lawyer.Hub.AcceptOffer(offer.ConsultationId);
                    accepted[offer.ConsultationId] = lawyer;
                }
                catch (Exception e)
                {
                    acceptErrors.Enqueue(e);
                }
            }));
        }
        await Task.WhenAll(lawyers.Select(l => kit.Start(l.Hub)));

        var workers = await Task.WhenAll(Enumerable.Range(0, Workers).Select(i => kit.Worker($"load worker {i}")));
        var consultations = await Task.WhenAll(workers.Select(w => kit.Open(w, category, dialect, "load test")));
        await Task.WhenAll(workers.Zip(consultations).Select(p => p.First.Hub.Assignments.WaitAsync(a => a.ConsultationId == p.Second.Id, TimeSpan.FromSeconds(60))));
        // The worker hears "Assigned" before the lawyer's AcceptOffer call returns: let every accept finish.
        await Task.WhenAll(accepting.ToArray());
        Assert.Empty(acceptErrors);
        Assert.Equal(Workers, accepted.Count);
        // Work-conserving and fair: 50 consultations on 10 lawyers of capacity 5 fill every lawyer.
        Assert.All(accepted.Values.GroupBy(l => l.Id), g => Assert.Equal(5, g.Count()));

        // Both sides of every consultation talk at once.
        var sessions = workers.Zip(consultations, (w, c) => (Worker: w, Consultation: c, Lawyer: accepted[c.Id])).ToList();
        await Task.WhenAll(sessions.Select(async s =>
        {
            var fromWorker = Task.Run(async () =>
            {
                for (var i = 0; i < PerSide; i++) await s.Worker.Hub.SendMessage(s.Consultation.Id, $"{s.Consultation.Id} worker {i}");
            });
            var fromLawyer = Task.Run(async () =>
            {
                for (var i = 0; i < PerSide; i++) await s.Lawyer.Hub.SendMessage(s.Consultation.Id, $"{s.Consultation.Id} lawyer {i}");
            });
            await Task.WhenAll(fromWorker, fromLawyer);
        }));

        const long total = 2 * PerSide;
        await Task.WhenAll(sessions.Select(s => Task.WhenAll(
            s.Worker.Hub.Messages.WaitAsync(m => m.ConsultationId == s.Consultation.Id && m.Seq == total, TimeSpan.FromSeconds(30)),
            s.Lawyer.Hub.Messages.WaitAsync(m => m.ConsultationId == s.Consultation.Id && m.Seq == total, TimeSpan.FromSeconds(30)))));

        foreach (var s in sessions)
        {
            var id = s.Consultation.Id;
            var expectedFromWorker = Enumerable.Range(0, PerSide).Select(i => $"{id} worker {i}").ToList();
            var expectedFromLawyer = Enumerable.Range(0, PerSide).Select(i => $"{id} lawyer {i}").ToList();
            foreach (var side in new[] { s.Worker.Hub, s.Lawyer.Hub })
            {
                // Pushed exactly once each, in seq order, seq 1..10 without gaps.
                var pushes = side.MessagePushes.Items.Where(m => m.ConsultationId == id).ToList();
                Assert.Equal(Enumerable.Range(1, (int)total).Select(i => (long)i), pushes.Select(m => m.Seq));
                Assert.Equal(pushes.Count, pushes.Select(m => m.ClientMessageId).Distinct().Count());
                var transcript = side.Transcript(id);
                Assert.Equal(expectedFromWorker, transcript.Where(m => m.SenderRole == "worker").Select(m => m.Text));
                Assert.Equal(expectedFromLawyer, transcript.Where(m => m.SenderRole == "lawyer").Select(m => m.Text));
            }
            // And nobody got another consultation's messages.
            Assert.All(s.Worker.Hub.MessagePushes.Items, m => Assert.Equal(id, m.ConsultationId));
        }
        // What was stored is what was received.
        var sample = sessions[0];
        var stored = await kit.Rest.GetMessages(sample.Worker.Token, sample.Consultation.Id);
        Assert.Equal(sample.Worker.Hub.Transcript(sample.Consultation.Id).Select(m => (m.Seq, m.Text)), stored.Select(m => (m.Seq, m.Text)));
        var metrics = await kit.Rest.GetMetrics(await kit.AdminToken());
        Assert.Equal(Workers, metrics.Consultations.Active);
        Assert.Equal(Lawyers, metrics.Lawyers.Online);
    }
}
