using System.Collections.Concurrent;
using Hotline.Abstractions;
using Hotline.Grains;

namespace Hotline.Silo.Hubs;

/// <summary>
/// Worker hub connections open on this process (connection id -> worker id). The worker grain counts them as leases,
/// so it pushes by Web Push only to a worker with no page connected; a connection whose process died lapses there
/// after <see cref="WorkerGrain.PresenceLeaseSeconds"/>, since nobody renews it.
/// </summary>
public sealed class WorkerPresence(IGrainFactory grains, ILogger<WorkerPresence> logger)
{
    private readonly ConcurrentDictionary<string, string> _connections = new();

    public async Task Connected(string connectionId, string workerId)
    {
        _connections[connectionId] = workerId;
        await Tell(() => grains.GetGrain<IWorkerGrain>(workerId).Connected(connectionId));
    }

    public async Task Disconnected(string connectionId)
    {
        if (_connections.TryRemove(connectionId, out var workerId))
            await Tell(() => grains.GetGrain<IWorkerGrain>(workerId).Disconnected(connectionId));
    }

    /// <summary>Renews every open connection's lease (in parallel).</summary>
    public Task RenewAll() => Task.WhenAll(_connections.ToArray().Select(c => Tell(() => grains.GetGrain<IWorkerGrain>(c.Value).Connected(c.Key))));

    private async Task Tell(Func<Task> call)
    {
        // Presence only decides whether a Web Push is sent on top of the hub event: a failure must not fail the connection.
        try { await call(); }
        catch (Exception e) when (e is not OperationCanceledException) { logger.LogDebug(e, "Worker presence not recorded"); }
    }
}

/// <summary>Renews this process's worker connection leases every <see cref="WorkerGrain.PresenceRenewSeconds"/>.</summary>
public sealed class WorkerPresenceRefresher(WorkerPresence presence) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(WorkerGrain.PresenceRenewSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await presence.RenewAll();
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
