namespace Hotline.Cluster.Tests;

/// <summary>
/// Redis killed during traffic and started again without its data (a lost volume, a Redis run without AOF): the Orleans
/// membership table is gone, the backplane's subscriptions live on in the clients. On a cluster of its own, so the shared
/// one never inherits a rebuilt table. Asserted: what <see cref="OutageTests"/> asserts for a restart with data
/// (<c>unavailable</c> while down, recovery by itself, nothing acknowledged lost, events across silos, the waiting lawyer
/// online), and that the table is rebuilt by the silos themselves (<c>MembershipTableGuard</c>): both listed active again,
/// a killed silo is declared dead and a new one joins, and a consultation runs across them. And that neither silo served
/// writes again before the other's backplane subscriptions were back (BackplaneHealth's cluster-wide probe).
/// </summary>
public sealed class RedisLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private HotlineCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await HotlineCluster.Start(output.WriteLine);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Redis_restarted_empty_during_traffic_the_silos_rebuild_the_membership_table_and_lose_nothing()
    {
        var cluster = _cluster;
        // A long-lived cluster's table is far past the version a rebuilt one starts at; the silos read it every 2 s (and
        // the pair's setup below takes longer), so they hold it when Redis dies.
        const int OldVersion = 500;
        await ClusterMembership.SetVersion(cluster.Redis, cluster.ClusterId, OldVersion);
        var before = await ClusterMembership.Rows(cluster.Redis, cluster.ClusterId);
        output.WriteLine("membership table version before: " + before.GetValueOrDefault("Version"));
        var restarted = DateTimeOffset.MaxValue;
        await using (var pair = await Pair.Start(cluster, cluster.Silos[0], cluster.Silos[1]))
        {
            await OutageTests.RedisOutage(cluster, pair, output, "killed (SIGKILL), its data deleted", async redis =>
            {
                await redis.Stop("KILL");
                redis.Wipe();
            }, redis =>
            {
                restarted = DateTimeOffset.UtcNow;
                return redis.Start();
            }, downFor: TimeSpan.FromSeconds(5));
        }
        // The cluster-wide probe (BackplaneHealth): neither silo served writes again before the other's own probe came
        // back, i.e. before the other's subscriptions were back in the restarted Redis, which keeps no message for a
        // subscriber to come. Read from their logs afterwards: no timing is arranged.
        foreach (var (s, other) in new[] { (cluster.Silos[0], cluster.Silos[1]), (cluster.Silos[1], cluster.Silos[0]) })
        {
            var up = s.FirstPrinted("The Redis backplane carries events again", restarted);
            var otherBack = other.FirstPrinted("The Redis backplane's probe comes back", restarted);
            output.WriteLine($"{other.Name}'s probe back at +{(otherBack - restarted)?.TotalSeconds:0.0} s, {s.Name} serving at +{(up - restarted)?.TotalSeconds:0.0} s");
            Assert.True(up is not null && otherBack is not null && up > otherBack,
                $"{s.Name} served again before {other.Name}'s subscriptions were back:\n--- {s.Name}:\n{s.Tail(30)}\n--- {other.Name}:\n{other.Tail(30)}");
        }
        output.WriteLine("membership table version after: " + (await ClusterMembership.Rows(cluster.Redis, cluster.ClusterId)).GetValueOrDefault("Version"));
        foreach (var s in cluster.Silos)
            Assert.True(s.Printed("This silo is back in the membership table"), $"{s.Name} did not put itself back:\n{s.Tail(30)}");
        // Orleans ignores a table that is not newer than the one a silo holds: the rebuilt table must be raised past it,
        // or the running silos would never see a later death or join.
        var rebuilt = 0;
        await Wait.Until(async () =>
        {
            rebuilt = int.Parse((await ClusterMembership.Rows(cluster.Redis, cluster.ClusterId))["Version"], System.Globalization.CultureInfo.InvariantCulture);
            return rebuilt > OldVersion;
        }, TimeSpan.FromSeconds(30), () => $"the rebuilt table is at version {rebuilt}, not above the {OldVersion} the silos held");

        // The table works again: a killed silo is declared dead (the live count drops) and a new silo joins.
        var killed = cluster.Silos[0];
        killed.KillHard();
        var sw = Stopwatch.StartNew();
        await cluster.RestoreTwoSilos(TimeSpan.FromSeconds(90));
        output.WriteLine($"{killed.Name} killed, declared dead and replaced in {sw.Elapsed.TotalSeconds:0.0} s");
        await using var fresh = await Pair.Start(cluster, cluster.Silos[0], cluster.Silos[1]);
        await fresh.ChatAndClose(cluster.Rest(cluster.Silos[0]));
    }
}
