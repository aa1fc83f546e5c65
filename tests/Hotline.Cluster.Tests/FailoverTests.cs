using System.Globalization;

namespace Hotline.Cluster.Tests;

/// <summary>
/// kill -9 of the silo hosting a consultation's grain during a two-way message stream: both clients end up on the
/// survivor, nothing acknowledged is lost or duplicated, the conversation goes on. Five rounds, each from two fresh silos.
/// </summary>
[Collection("cluster")]
public sealed class FailoverTests(ClusterFixture fixture, ITestOutputHelper output)
{
    public static readonly string ResultsFile = Path.Combine(Infra.RepoRoot(), "TestResults", "failover-seconds.txt");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Failover_keeps_every_acknowledged_message(int round)
    {
        var cluster = await fixture.Ready(output);
        var (a, b) = (cluster.Silos[0], cluster.Silos[1]);
        // Alternate sides so that both the worker's and the lawyer's silo get killed (the grain tends to live where it was created).
        var (workerSilo, lawyerSilo) = round % 2 == 1 ? (a, b) : (b, a);
        await using var pair = await Pair.Start(cluster, workerSilo, lawyerSilo);
        var id = pair.ConsultationId;

        await using var stream = new TwoWayStream(pair.Worker, pair.Lawyer, id, TimeSpan.FromMilliseconds(75));
        var (worker, lawyer) = (stream.Worker, stream.Lawyer);
        await Task.Delay(1500);

        var victim = await cluster.GrainHost(id);
        var survivor = cluster.Silos.Single(s => s != victim);
        var before = worker.AckedMessages.Count + lawyer.AckedMessages.Count;
        victim.KillHard();
        // Measured from the moment the process is gone; only sends started after that count as "after the kill".
        var killedAt = DateTimeOffset.UtcNow;
        output.WriteLine($"round {round}: killed {victim.Name} (silo port {victim.SiloPort}) hosting {id} after {before} acknowledged messages; worker on {pair.Worker.CurrentUrl}, lawyer on {pair.Lawyer.CurrentUrl}");

        // Watch the survivor's membership view to see when the victim is declared dead.
        var deadAfter = WatchMembership(cluster, survivor, killedAt);

        // Let the conversation go on until both sides have had 10 acknowledged sends after the kill.
        await stream.WaitForEachAfter(killedAt, 10, TimeSpan.FromSeconds(60));
        await stream.StopAsync();

        var acked = worker.AckedMessages.Concat(lawyer.AckedMessages).ToList();
        var firstAfter = acked.Where(x => x.Started > killedAt).Min(x => (double?)(x.Completed - killedAt).TotalSeconds);
        var dead = await deadAfter;
        output.WriteLine($"round {round}: first successful send {firstAfter:0.00} s after the kill; victim declared dead after {dead:0.00} s; " +
                         $"{acked.Count} acknowledged ({acked.Count(x => x.Duplicate)} as duplicate), failures: {worker.Failures.Count + lawyer.Failures.Count}");
        foreach (var f in worker.Failures.Concat(lawyer.Failures)) output.WriteLine("  failure: " + f.GetType().Name + ": " + f.Message);

        Assert.Empty(worker.Failures);
        Assert.Empty(lawyer.Failures);
        Assert.NotNull(firstAfter);
        Assert.True(worker.AckedMessages.Count(x => x.Started > killedAt) >= 10, "the worker's conversation did not go on after the kill");
        Assert.True(lawyer.AckedMessages.Count(x => x.Started > killedAt) >= 10, "the lawyer's conversation did not go on after the kill");

        // Both clients are on the survivor.
        Assert.Equal(survivor.Url, pair.Worker.CurrentUrl);
        Assert.Equal(survivor.Url, pair.Lawyer.CurrentUrl);

        // Nothing acknowledged is lost or duplicated; seq has no gaps.
        var transcript = await Transcripts.ReadAll(cluster.Rest(survivor), pair.WorkerLogin.Token, id);
        Transcripts.Verify(transcript, acked);
        output.WriteLine($"round {round}: transcript seq 1..{transcript.Count} verified");

        // The lawyer (now on the survivor, its grain possibly re-activated) is routable again.
        await pair.LawyerTakesANewCase(cluster.Rest(survivor), "Second case after failover.");

        lock (fixture.FailoverSeconds) fixture.FailoverSeconds.Add(firstAfter!.Value);
        Directory.CreateDirectory(Path.GetDirectoryName(ResultsFile)!);
        File.AppendAllText(ResultsFile, string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:O} round={round} first_send_after_kill_s={firstAfter:0.000} declared_dead_after_s={dead:0.000} acked={acked.Count}\n"));
    }

    private static Task<double?> WatchMembership(HotlineCluster cluster, SiloProcess survivor, DateTimeOffset killedAt) => Task.Run(async () =>
    {
        var token = await cluster.AdminToken(survivor);
        var rest = cluster.Rest(survivor);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                if ((await rest.GetMetrics(token)).Silos == 1) return (double?)(DateTimeOffset.UtcNow - killedAt).TotalSeconds;
            }
            catch { }
            await Task.Delay(200);
        }
        return null;
    });
}
