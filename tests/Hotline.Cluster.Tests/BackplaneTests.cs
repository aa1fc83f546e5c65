namespace Hotline.Cluster.Tests;

/// <summary>A worker on silo A and a lawyer on silo B go through a whole consultation: the Redis backplane carries events.</summary>
[Collection("cluster")]
public sealed class BackplaneTests(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Worker_on_A_and_lawyer_on_B_complete_a_consultation()
    {
        var cluster = fixture.Cluster;
        await cluster.RestoreTwoSilos();
        foreach (var line in fixture.DrainLog()) output.WriteLine(line);
        var (a, b) = (cluster.Silos[0], cluster.Silos[1]);
        await using var pair = await Pair.Start(cluster, workerSilo: a, lawyerSilo: b);
        Assert.Equal(a.Url, pair.Worker.CurrentUrl);
        Assert.Equal(b.Url, pair.Lawyer.CurrentUrl);
        var id = pair.ConsultationId;

        var w1 = await pair.Worker.SendMessage(id, "Hello, my employer owes me 3 months of wages.");
        var l1 = await pair.Lawyer.SendMessage(id, "Hello, do you have a written labor contract?");
        var w2 = await pair.Worker.SendMessage(id, "No, only a verbal agreement.");
        Assert.Equal([1L, 2L, 3L], new[] { w1.Seq, l1.Seq, w2.Seq });

        // Each side receives the other's messages, pushed across silos.
        await pair.Lawyer.Messages.WaitAsync(m => m.ConsultationId == id && m.Seq == 3, TimeSpan.FromSeconds(15));
        await pair.Worker.Messages.WaitAsync(m => m.ConsultationId == id && m.Seq == 2 && m.SenderRole == "lawyer", TimeSpan.FromSeconds(15));

        await pair.Lawyer.Invoke<object?>("CloseConsultation", [id, "answered", "Advised to apply for labor arbitration."]);
        await pair.Worker.StatusChanges.WaitAsync(s => s.ConsultationId == id && s.Status == "closed", TimeSpan.FromSeconds(15));
        var view = await cluster.Rest(a).GetConsultation(pair.WorkerLogin.Token, id);
        Assert.Equal("closed", view.Status);
        Assert.Equal(3, view.LastSeq);
    }
}
