namespace Hotline.Cluster.Tests;

/// <summary>
/// SIGTERM on a silo: it drains (hub connections closed so clients reconnect to the other silo, grains deactivate and
/// come back there) without losing an acknowledged message, and it ends within a bounded time, also when Redis and
/// PostgreSQL are already gone (the silo's budget is <c>Hotline:Shutdown:TimeoutSeconds</c> = 20 s, plus 5 s watchdog).
/// </summary>
[Collection("cluster")]
public sealed class GracefulShutdownTests(ClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>Seconds a silo may take to stop: budget 20 s + watchdog 5 s + slack for a loaded 2-core machine.</summary>
    private const int BoundSeconds = 35;
    private static TimeSpan Bound => TimeSpan.FromSeconds(BoundSeconds);

    [Fact]
    public async Task Sigterm_drains_the_silo_hosting_a_conversation_without_losing_an_acknowledged_message()
    {
        await using var pair = await fixture.PairAcrossSilos(output);
        var (cluster, a, b, id) = (fixture.Cluster, pair.WorkerSilo, pair.LawyerSilo, pair.ConsultationId);

        await using var stream = new TwoWayStream(pair.Worker, pair.Lawyer, id, TimeSpan.FromMilliseconds(75));
        var (worker, lawyer) = (stream.Worker, stream.Lawyer);
        await worker.WaitForAcked(5);

        var victim = await cluster.GrainHost(id);
        var survivor = cluster.Silos.Single(s => s != victim);
        var took = await victim.TerminateAsync();
        var stoppedAt = DateTimeOffset.UtcNow;
        output.WriteLine($"{victim.Name} (hosting {id}) stopped {took.TotalSeconds:0.00} s after SIGTERM, exit code {victim.Process.ExitCode}");

        // The conversation goes on: both sides get 10 more acknowledged sends after the silo is gone.
        await stream.WaitForEachAfter(stoppedAt, 10, TimeSpan.FromSeconds(60));
        await stream.StopAsync();
        foreach (var f in worker.Failures.Concat(lawyer.Failures)) output.WriteLine("  failure: " + f.GetType().Name + ": " + f.Message);

        Assert.True(took < Bound, $"the silo took {took.TotalSeconds:0.0} s to stop:\n{victim.Tail()}");
        Assert.Equal(0, victim.Process.ExitCode);
        Assert.Empty(worker.Failures);
        Assert.Empty(lawyer.Failures);
        Assert.Equal(survivor.Url, pair.Worker.CurrentUrl);
        Assert.Equal(survivor.Url, pair.Lawyer.CurrentUrl);

        var acked = worker.AckedMessages.Concat(lawyer.AckedMessages).ToList();
        var transcript = await Transcripts.ReadAll(cluster.Rest(survivor), pair.WorkerLogin.Token, id);
        Transcripts.Verify(transcript, acked);
        output.WriteLine($"{acked.Count} acknowledged, transcript seq 1..{transcript.Count} verified");

        // The lawyer, reconnected to the survivor, is routable: a new consultation is offered to them.
        await pair.LawyerTakesANewCase(cluster.Rest(survivor), "A second case after the drain.");
    }

    [Fact]
    public async Task Sigterm_ends_both_silos_in_bounded_time_when_Redis_and_PostgreSQL_are_already_gone()
    {
        var cluster = await fixture.Ready(output);
        var silos = cluster.Silos.ToList();
        // Some state in the silos first, so deactivation has grains to write.
        await using (var pair = await Pair.Start(cluster, silos[0], silos[1]))
            await pair.Worker.SendMessage(pair.ConsultationId, "before the outage", Guid.NewGuid().ToString("N"));

        await cluster.Postgres.StopQuietlyAsync();
        cluster.Redis.Dispose();
        output.WriteLine("PostgreSQL and Redis stopped");
        try
        {
            var took = await Task.WhenAll(silos.Select(s => s.TerminateAsync()));
            for (var i = 0; i < silos.Count; i++)
                output.WriteLine($"{silos[i].Name} stopped {took[i].TotalSeconds:0.00} s after SIGTERM, exit code {silos[i].Process.ExitCode}");
            for (var i = 0; i < silos.Count; i++)
                Assert.True(took[i] < Bound, $"{silos[i].Name} took {took[i].TotalSeconds:0.0} s to stop:\n{silos[i].Tail()}");
        }
        finally
        {
            // Back to a working cluster for the other tests (fresh silos on an emptied Redis: the old table would list the killed silos).
            foreach (var s in silos.Where(s => !s.Process.HasExited)) s.KillHard();
            await cluster.Postgres.StartAsync();
            cluster.Redis.Wipe();
            await cluster.Redis.Start();
            await cluster.RestoreTwoSilos();
        }
    }
}
