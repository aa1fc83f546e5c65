namespace Hotline.Grains.Tests;

/// <summary>
/// The statistics and collective-dispute grains are one activation each for the whole cluster, called by every
/// consultation that opens, is answered or closes: their admin pushes must never hold those calls (over a Redis
/// backplane that is gone, a push waits for its timeout).
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class SingletonPushTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_metrics_push_that_hangs_holds_no_statistics_call()
    {
        var statistics = fixture.Grains.GetGrain<IStatisticsGrain>(GrainKeys.Hotline);
        var hold = new RecordingNotifier.Hold();
        ClusterFixture.Notifier.HeldMetrics = hold;
        try
        {
            // A fresh activation pushes a snapshot as soon as it is started; that push hangs.
            await fixture.Cluster.DeactivateAsync(statistics);
            await statistics.Start();
            await hold.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // Calls are still served while it hangs (before the fix, each waited behind the push's turn).
            var category = "cat-" + Guid.NewGuid().ToString("N")[..8];
            await statistics.RecordArrival(category, DateTimeOffset.UtcNow).WaitAsync(TimeSpan.FromSeconds(10));
            await statistics.RecordAnswered(category, 3, DateTimeOffset.UtcNow).WaitAsync(TimeSpan.FromSeconds(10));
            var snapshot = await statistics.GetSnapshot().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.NotNull(snapshot);
        }
        finally
        {
            ClusterFixture.Notifier.HeldMetrics = null;
            hold.Release.TrySetResult();
        }
    }

    [Fact]
    public async Task An_alert_push_that_hangs_holds_no_employer_mention()
    {
        var collective = fixture.Grains.GetGrain<ICollectiveGrain>(GrainKeys.Hotline);
        var employer = "employer-" + Guid.NewGuid().ToString("N")[..8];
        EmployerMentioned Mention(int worker) => new()
        {
            ConsultationId = "c-" + Guid.NewGuid().ToString("N"), WorkerId = "w-" + Guid.NewGuid().ToString("N"),
            EmployerKey = employer, Employer = "某某电子厂 " + worker, At = DateTimeOffset.UtcNow,
        };
        var hold = new RecordingNotifier.Hold();
        ClusterFixture.Notifier.HeldAlerts = hold;
        try
        {
            // The third distinct worker opens an alert (the default threshold); its push hangs.
            for (var i = 0; i < 3; i++) await collective.Record(Mention(i)).WaitAsync(TimeSpan.FromSeconds(10));
            await hold.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // Later mentions of that employer (each pushes the live alert again) and reads are still served.
            await collective.Record(Mention(3)).WaitAsync(TimeSpan.FromSeconds(10));
            var alerts = await collective.GetAlerts(null).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Contains(alerts, a => a.EmployerKey == employer);
        }
        finally
        {
            ClusterFixture.Notifier.HeldAlerts = null;
            hold.Release.TrySetResult();
        }
    }
}
