namespace Hotline.Cluster.Tests;

/// <summary>
/// PostgreSQL stops (fast) and starts again ~2 s later during a two-way message stream. Every single send either
/// succeeds or fails with the retryable code <c>unavailable</c>; resending with the same clientMessageId then succeeds,
/// and the stored transcript holds every acknowledged message once, seq without gaps.
/// </summary>
[Collection("cluster")]
public sealed class PostgresRestartTests(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Postgres_restart_loses_nothing_acknowledged()
    {
        await using var pair = await fixture.PairAcrossSilos(output);
        var (cluster, a, b, id) = (fixture.Cluster, pair.WorkerSilo, pair.LawyerSilo, pair.ConsultationId);

        // The worker side sends on a plain connection, one attempt at a time, to observe the server's answers.
        await using var raw = Hubs.Raw(a.Url, "/hubs/worker", pair.WorkerLogin.Token);
        await raw.StartAsync();

        var worker = new PatientSender(raw, id, "raw");
        using var stop = new CancellationTokenSource();
        var workerLoop = worker.Run(stop.Token, TimeSpan.FromMilliseconds(100));
        var lawyer = new Sender(pair.Lawyer, id, "lawyer");
        var lawyerLoop = lawyer.Run(stop.Token, TimeSpan.FromMilliseconds(100));

        await Task.Delay(1500);
        var down = Stopwatch.StartNew();
        await cluster.Postgres.StopAsync();
        output.WriteLine($"postgres stopped ({down.Elapsed.TotalSeconds:0.0} s)");
        await Task.Delay(2000);
        await cluster.Postgres.StartAsync();
        output.WriteLine($"postgres started again {down.Elapsed.TotalSeconds:0.0} s after the stop began");
        var ackedBefore = worker.Acked.Count;
        await Task.Delay(5000);
        stop.Cancel();
        await Task.WhenAll(workerLoop, lawyerLoop);

        output.WriteLine($"worker: {worker.Acked.Count} acknowledged, {worker.Unavailable} 'unavailable' answers, longest send {worker.LongestSend.TotalSeconds:0.00} s; " +
                         $"lawyer: {lawyer.AckedMessages.Count} acknowledged, {lawyer.Failures.Count} failures");
        foreach (var e in worker.OtherErrors) output.WriteLine("  worker error: " + e);
        foreach (var f in lawyer.Failures) output.WriteLine("  lawyer failure: " + f.Message);
        Assert.Empty(worker.OtherErrors);
        Assert.Empty(lawyer.Failures);
        Assert.True(worker.Acked.Count > ackedBefore, "the worker could not send after PostgreSQL came back");

        var transcript = await Transcripts.ReadAll(cluster.Rest(a), pair.WorkerLogin.Token, id);
        Transcripts.Verify(transcript, worker.Acked.Concat(lawyer.AckedMessages));
        Assert.Equal(worker.Acked.Count + lawyer.AckedMessages.Count, transcript.Count);
        output.WriteLine($"transcript seq 1..{transcript.Count} verified");
    }
}
