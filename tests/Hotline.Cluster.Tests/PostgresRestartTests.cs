using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Hotline.Client;

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
        var cluster = await fixture.Ready(output);
        var (a, b) = (cluster.Silos[0], cluster.Silos[1]);
        await using var pair = await Pair.Start(cluster, workerSilo: a, lawyerSilo: b);
        var id = pair.ConsultationId;

        // The worker side sends on a plain connection, one attempt at a time, to observe the server's answers.
        await using var raw = Hubs.Raw(a.Url, "/hubs/worker", pair.WorkerLogin.Token);
        await raw.StartAsync();

        var workerAcked = new List<Sender.Acked>();
        var unavailable = 0;
        var otherErrors = new List<string>();
        var maxLatency = TimeSpan.Zero;
        using var stop = new CancellationTokenSource();
        var workerLoop = Task.Run(async () =>
        {
            for (var n = 1; !stop.IsCancellationRequested; n++)
            {
                var cmid = $"raw-{n}-{Guid.NewGuid():N}";
                var text = $"worker raw message {n}";
                var started = DateTimeOffset.UtcNow;
                var sw = Stopwatch.StartNew();
                while (true)
                {
                    try
                    {
                        var ack = await raw.InvokeAsync<MessageAck>("SendMessage", id, cmid, text);
                        workerAcked.Add(new Sender.Acked(cmid, text, ack.Seq, ack.Duplicate, started, DateTimeOffset.UtcNow));
                        break;
                    }
                    catch (HubException e) when (e.Message.StartsWith("unavailable:", StringComparison.Ordinal))
                    {
                        unavailable++;
                        await Task.Delay(200);
                    }
                    catch (Exception e)
                    {
                        otherErrors.Add(e.GetType().Name + ": " + e.Message);
                        break;
                    }
                }
                if (sw.Elapsed > maxLatency) maxLatency = sw.Elapsed;
                try { await Task.Delay(100, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var lawyer = new Sender(pair.Lawyer, id, "lawyer");
        var lawyerLoop = lawyer.Run(stop.Token, TimeSpan.FromMilliseconds(100));

        await Task.Delay(1500);
        var down = Stopwatch.StartNew();
        await cluster.Postgres.StopAsync();
        output.WriteLine($"postgres stopped ({down.Elapsed.TotalSeconds:0.0} s)");
        await Task.Delay(2000);
        await cluster.Postgres.StartAsync();
        output.WriteLine($"postgres started again {down.Elapsed.TotalSeconds:0.0} s after the stop began");
        var ackedBefore = workerAcked.Count;
        await Task.Delay(5000);
        stop.Cancel();
        await Task.WhenAll(workerLoop, lawyerLoop);

        output.WriteLine($"worker: {workerAcked.Count} acknowledged, {unavailable} 'unavailable' answers, longest send {maxLatency.TotalSeconds:0.00} s; " +
                         $"lawyer: {lawyer.AckedMessages.Count} acknowledged, {lawyer.Failures.Count} failures");
        foreach (var e in otherErrors) output.WriteLine("  worker error: " + e);
        foreach (var f in lawyer.Failures) output.WriteLine("  lawyer failure: " + f.Message);
        Assert.Empty(otherErrors);
        Assert.Empty(lawyer.Failures);
        Assert.True(workerAcked.Count > ackedBefore, "the worker could not send after PostgreSQL came back");

        var transcript = await Transcripts.ReadAll(cluster.Rest(a), pair.WorkerLogin.Token, id);
        Transcripts.Verify(transcript, workerAcked.Concat(lawyer.AckedMessages));
        Assert.Equal(workerAcked.Count + lawyer.AckedMessages.Count, transcript.Count);
        output.WriteLine($"transcript seq 1..{transcript.Count} verified");
    }
}
