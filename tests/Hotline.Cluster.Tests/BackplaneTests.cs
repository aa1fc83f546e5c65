namespace Hotline.Cluster.Tests;

/// <summary>A worker on silo A and a lawyer on silo B go through a whole consultation: the Redis backplane carries events.</summary>
[Collection("cluster")]
public sealed class BackplaneTests(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Worker_on_A_and_lawyer_on_B_complete_a_consultation()
    {
        await using var pair = await fixture.PairAcrossSilos(output);
        Assert.Equal(pair.WorkerSilo.Url, pair.Worker.CurrentUrl);
        Assert.Equal(pair.LawyerSilo.Url, pair.Lawyer.CurrentUrl);
        // Each side receives the other's messages, pushed across silos.
        await pair.ChatAndClose(fixture.Cluster.Rest(pair.WorkerSilo));
    }
}
