using System.Collections.Concurrent;
using Hotline.Abstractions;

namespace Hotline.Silo.Hubs;

/// <summary>The lawyer hub connections open on this silo (connection id -> lawyer id).</summary>
public sealed class LawyerConnectionRegistry
{
    private readonly ConcurrentDictionary<string, string> _connections = new();

    public void Add(string connectionId, string lawyerId) => _connections[connectionId] = lawyerId;
    public bool Remove(string connectionId) => _connections.TryRemove(connectionId, out _);
    public IReadOnlyList<KeyValuePair<string, string>> Snapshot() => _connections.ToArray();
}

/// <summary>
/// Lawyer connection tracking lives in <c>LawyerGrain</c> memory. When the silo hosting a lawyer's grain dies, the
/// new activation knows none of the lawyer's connections, although the lawyer may still be connected to this silo.
/// Every few seconds this silo re-asserts its open lawyer connections (<c>RenewConnection</c>), so a lawyer
/// connected to a survivor is routable again within one period after a failover. Renewals run in parallel and on a
/// fixed beat: one slow call (up to the response timeout) delays only its own connection's renewal, never the others',
/// and a connection whose renewal is still in flight is not renewed twice.
/// </summary>
public sealed class LawyerConnectionRefresher(LawyerConnectionRegistry registry, IGrainFactory grains, IConfiguration configuration,
    ILogger<LawyerConnectionRefresher> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, byte> _inFlight = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(configuration.GetValue("Hotline:Cluster:LawyerRefreshSeconds", 3.0));
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(period, stoppingToken); } catch (OperationCanceledException) { return; }
            foreach (var (connectionId, lawyerId) in registry.Snapshot())
                if (_inFlight.TryAdd(connectionId, 0)) _ = Renew(connectionId, lawyerId);
        }
    }

    private async Task Renew(string connectionId, string lawyerId)
    {
        try
        {
            // The grain ignores a connection that has closed meanwhile, so this cannot bring one back.
            await grains.GetGrain<ILawyerGrain>(lawyerId).RenewConnection(connectionId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogDebug(e, "Could not refresh lawyer connection {Connection}", connectionId);
        }
        finally
        {
            _inFlight.TryRemove(connectionId, out _);
        }
    }
}
