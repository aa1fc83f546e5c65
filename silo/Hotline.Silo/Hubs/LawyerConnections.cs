using System.Collections.Concurrent;
using Hotline.Abstractions;

namespace Hotline.Silo.Hubs;

/// <summary>The lawyer hub connections open on this silo (connection id -> lawyer id).</summary>
public sealed class LawyerConnectionRegistry
{
    private readonly ConcurrentDictionary<string, string> _connections = new();

    public void Add(string connectionId, string lawyerId) => _connections[connectionId] = lawyerId;
    public bool Remove(string connectionId) => _connections.TryRemove(connectionId, out _);
    public bool Contains(string connectionId) => _connections.ContainsKey(connectionId);
    public IReadOnlyList<KeyValuePair<string, string>> Snapshot() => _connections.ToArray();
}

/// <summary>
/// Lawyer connection tracking lives in <c>LawyerGrain</c> memory. When the silo hosting a lawyer's grain dies, the
/// new activation knows none of the lawyer's connections, although the lawyer may still be connected to this silo.
/// Every few seconds this silo re-asserts its open lawyer connections (<c>Connected</c> is idempotent), so a lawyer
/// connected to a survivor is routable again within one period after a failover.
/// </summary>
public sealed class LawyerConnectionRefresher(LawyerConnectionRegistry registry, IGrainFactory grains, IConfiguration configuration,
    ILogger<LawyerConnectionRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(configuration.GetValue("Hotline:Cluster:LawyerRefreshSeconds", 3.0));
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(period, stoppingToken); } catch (OperationCanceledException) { return; }
            foreach (var (connectionId, lawyerId) in registry.Snapshot())
            {
                try
                {
                    var lawyer = grains.GetGrain<ILawyerGrain>(lawyerId);
                    await lawyer.Connected(connectionId);
                    // The connection closed while we re-asserted it: take it back out.
                    if (!registry.Contains(connectionId)) await lawyer.Disconnected(connectionId);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogDebug(e, "Could not refresh lawyer connection {Connection}", connectionId);
                }
            }
        }
    }
}
