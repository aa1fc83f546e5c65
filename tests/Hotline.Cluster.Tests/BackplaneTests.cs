namespace Hotline.Cluster.Tests;

/// <summary>A worker on silo A and a lawyer on silo B go through a whole consultation: the Redis backplane carries events.</summary>
[Collection("cluster")]
public sealed class BackplaneTests(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Worker_on_A_and_lawyer_on_B_complete_a_consultation()
    {
        var cluster = await fixture.Ready(output);
        var (a, b) = (cluster.Silos[0], cluster.Silos[1]);
        await using var pair = await Pair.Start(cluster, workerSilo: a, lawyerSilo: b);
        Assert.Equal(a.Url, pair.Worker.CurrentUrl);
        Assert.Equal(b.Url, pair.Lawyer.CurrentUrl);
        // Each side receives the other's messages, pushed across silos.
        await pair.ChatAndClose(cluster.Rest(a));
    }
}
