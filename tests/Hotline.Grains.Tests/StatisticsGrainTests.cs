namespace Hotline.Grains.Tests;

/// <summary>
/// The statistics grain is one activation for the whole cluster, called by every consultation that opens, is answered
/// or closes: its admin pushes must never hold those calls (over a Redis backplane that is gone, a push waits for its
/// timeout).
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class StatisticsGrainTests(ClusterFixture fixture)
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
}
