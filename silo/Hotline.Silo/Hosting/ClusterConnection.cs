using Hotline.Abstractions;

namespace Hotline.Silo.Hosting;

/// <summary>
/// Front mode: the state of this front's link to the cluster. When the gateway count goes from zero back up (the front
/// lost every silo and found one again), <see cref="Recovered"/> fires so that the front re-asserts its connections at
/// once instead of at the next renewal period.
/// </summary>
public sealed class ClusterConnection(ILogger<ClusterConnection> logger)
{
    /// <summary>Gateways this client is connected to (0 = cut off from the cluster).</summary>
    public int Gateways { get; private set; } = -1;

    /// <summary>Raised when the connection to the cluster comes back after it was lost.</summary>
    public event Action? Recovered;

    /// <summary>Raised when a gateway is lost: calls sent through it will not be answered.</summary>
    public event Action? GatewayLost;

    public void OnGatewayCountChanged(object? sender, GatewayCountChangedEventArgs e)
    {
        Gateways = e.NumberOfConnectedGateways;
        if (e.NumberOfConnectedGateways < e.PreviousNumberOfConnectedGateways) GatewayLost?.Invoke();
        if (e.NumberOfConnectedGateways == 0) logger.LogWarning("Front lost its connection to the cluster; reconnecting");
        else if (e.PreviousNumberOfConnectedGateways == 0 || e.ConnectionRecovered)
        {
            logger.LogWarning("Front connected to the cluster ({Gateways} gateways)", e.NumberOfConnectedGateways);
            Recovered?.Invoke();
        }
    }
}

/// <summary>Front mode readiness: ready while the cluster answers (a router ping every 2 s).</summary>
public sealed class FrontReadinessProbe(IGrainFactory grains, Readiness readiness, ILogger<FrontReadinessProbe> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IRouterGrain>(GrainKeys.Hotline).Ping().WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
                readiness.Ready = true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (readiness.Ready) logger.LogWarning(e, "Cluster not reachable from this front");
                readiness.Ready = false;
            }
            try { await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken); } catch (OperationCanceledException) { }
        }
    }
}
