using System.Diagnostics;

namespace Hotline.Cluster.Tests;

/// <summary>
/// SIGTERM on a silo: it drains (hub connections closed so clients reconnect to the other silo, grains deactivate and
/// come back there) without losing an acknowledged message, and it ends within a bounded time, also when Redis and
/// PostgreSQL are already gone (the silo's budget is <c>Hotline:Shutdown:TimeoutSeconds</c> = 20 s, plus 5 s watchdog).
/// </summary>
[Collection("cluster")]
public sealed class GracefulShutdownTests(ClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>Budget 20 s + watchdog 5 s + slack for a loaded 2-core machine.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(35);

    [Fact]
    public async Task Sigterm_drains_the_silo_hosting_a_conversation_without_losing_an_acknowledged_message()
    {
        var cluster = fixture.Cluster;
        await cluster.RestoreTwoSilos();
        foreach (var line in fixture.DrainLog()) output.WriteLine(line);
        var (a, b) = (cluster.Silos[0], cluster.Silos[1]);
        await using var pair = await Pair.Start(cluster, workerSilo: a, lawyerSilo: b);
        var id = pair.ConsultationId;

        var worker = new Sender(pair.Worker, id, "worker");
        var lawyer = new Sender(pair.Lawyer, id, "lawyer");
        using var stop = new CancellationTokenSource();
        var loops = new[] { worker.Run(stop.Token, TimeSpan.FromMilliseconds(75)), lawyer.Run(stop.Token, TimeSpan.FromMilliseconds(75)) };
        await worker.WaitAcked(5);

        var victim = await cluster.GrainHost(id);
        var survivor = cluster.Silos.Single(s => s != victim);
        var took = await Terminate(victim);
        var stoppedAt = DateTimeOffset.UtcNow;
        output.WriteLine($"{victim.Name} (hosting {id}) stopped {took.TotalSeconds:0.00} s after SIGTERM, exit code {victim.Process.ExitCode}");

        // The conversation goes on: both sides get 10 more acknowledged sends after the silo is gone.
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60) &&
               (worker.AckedMessages.Count(x => x.Started > stoppedAt) < 10 || lawyer.AckedMessages.Count(x => x.Started > stoppedAt) < 10))
            await Task.Delay(100);
        stop.Cancel();
        await Task.WhenAll(loops);
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
        var rest = cluster.Rest(survivor);
        var other = await rest.CreateWorker("Second worker");
        var second = await rest.OpenConsultation(other.Token, "unpaid_wages", "mandarin", "A second case after the drain.");
        await pair.Lawyer.Offers.WaitAsync(o => o.ConsultationId == second.Id, TimeSpan.FromSeconds(30));
        await pair.Lawyer.AcceptOffer(second.Id);
    }

    [Fact]
    public async Task Sigterm_ends_both_silos_in_bounded_time_when_Redis_and_PostgreSQL_are_already_gone()
    {
        var cluster = fixture.Cluster;
        await cluster.RestoreTwoSilos();
        foreach (var line in fixture.DrainLog()) output.WriteLine(line);
        var silos = cluster.Silos.ToList();
        // Some state in the silos first, so deactivation has grains to write.
        await using (var pair = await Pair.Start(cluster, silos[0], silos[1]))
            await pair.Worker.SendMessage(pair.ConsultationId, "before the outage", Guid.NewGuid().ToString("N"));

        await cluster.Postgres.StopQuietly();
        cluster.Redis.Dispose();
        output.WriteLine("PostgreSQL and Redis stopped");
        try
        {
            var took = await Task.WhenAll(silos.Select(Terminate));
            for (var i = 0; i < silos.Count; i++)
                output.WriteLine($"{silos[i].Name} stopped {took[i].TotalSeconds:0.00} s after SIGTERM, exit code {silos[i].Process.ExitCode}");
            for (var i = 0; i < silos.Count; i++)
                Assert.True(took[i] < Bound, $"{silos[i].Name} took {took[i].TotalSeconds:0.0} s to stop:\n{silos[i].Tail()}");
        }
        finally
        {
            // Back to a working cluster for the other tests (fresh silos: the membership table went with Redis).
            foreach (var s in silos.Where(s => !s.Process.HasExited)) s.KillHard();
            await cluster.Postgres.Start();
            await cluster.Redis.Start();
            await cluster.RestoreTwoSilos();
        }
    }

    /// <summary>SIGTERM, then how long until the process is gone (killed hard after two minutes so the run goes on).</summary>
    private static async Task<TimeSpan> Terminate(SiloProcess silo)
    {
        var sw = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", silo.Process.Id.ToString()])) await kill.WaitForExitAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await silo.Process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException) { silo.KillHard(); }
        return sw.Elapsed;
    }
}

internal static class SenderExtensions
{
    /// <summary>Waits (up to 30 s) until the sender has <paramref name="count"/> acknowledged messages.</summary>
    public static async Task WaitAcked(this Sender sender, int count)
    {
        var sw = Stopwatch.StartNew();
        while (sender.AckedMessages.Count < count && sw.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        Assert.True(sender.AckedMessages.Count >= count, $"only {sender.AckedMessages.Count} messages acknowledged");
    }
}
