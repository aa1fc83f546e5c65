namespace Hotline.Grains.Tests;

/// <summary>A username's login backoff is durable: deactivating its grain (as a silo failure would) keeps the wait.</summary>
[Collection(nameof(ClusterCollection))]
public sealed class LoginThrottleGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_wait_survives_a_deactivation_and_a_success_clears_it()
    {
        var throttle = fixture.Grains.GetGrain<ILoginThrottleGrain>("login-" + Guid.NewGuid().ToString("N"));
        for (var i = 0; i < 8; i++) await throttle.Failed(freeFailures: 5, maxBackoffSeconds: 900);
        var before = await throttle.RetryAfter();
        Assert.NotNull(before); // 8 failures, 5 free: a 4 s wait

        await fixture.Cluster.DeactivateAsync(throttle);
        var after = await throttle.RetryAfter();
        Assert.NotNull(after);
        Assert.True(after <= before, $"{after} > {before}");
        // The count came back too: one more failure doubles the wait (8 s), it does not start from the free attempts.
        await throttle.Failed(freeFailures: 5, maxBackoffSeconds: 900);
        Assert.True(await throttle.RetryAfter() > TimeSpan.FromSeconds(5));

        await throttle.Succeeded();
        await fixture.Cluster.DeactivateAsync(throttle);
        Assert.Null(await throttle.RetryAfter());
    }
}
