using System.Collections.Concurrent;
using Hotline.Abstractions;
using Hotline.Silo.Api;

namespace Hotline.Silo.Hubs;

/// <summary>The lawyer hub connections open on this silo (connection id -> lawyer id), and how to close them.</summary>
public sealed class LawyerConnectionRegistry : ILawyerConnectionCloser
{
    private readonly ConcurrentDictionary<string, string> _connections = new();
    private readonly ConcurrentDictionary<string, Action> _aborts = new();
    private readonly ConcurrentDictionary<string, TokenClaims> _tokens = new();
    private TaskCompletionSource _renewNow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="connectionId">The hub connection.</param>
    /// <param name="lawyerId">Its lawyer.</param>
    /// <param name="abort">Closes it.</param>
    /// <param name="token">The claims of the token it connected with: a renewal closes it once they are revoked.</param>
    public void Add(string connectionId, string lawyerId, Action? abort = null, TokenClaims? token = null)
    {
        _connections[connectionId] = lawyerId;
        if (abort is not null) _aborts[connectionId] = abort;
        if (token is not null) _tokens[connectionId] = token;
    }

    public bool Remove(string connectionId)
    {
        _aborts.TryRemove(connectionId, out _);
        _tokens.TryRemove(connectionId, out _);
        return _connections.TryRemove(connectionId, out _);
    }

    /// <summary>The claims of the token the connection was opened with (null: not known).</summary>
    public TokenClaims? TokenOf(string connectionId) => _tokens.TryGetValue(connectionId, out var token) ? token : null;

    public IReadOnlyList<KeyValuePair<string, string>> Snapshot() => _connections.ToArray();

    /// <summary>Closes one connection held by this silo (its lawyer was disabled, or its token revoked).</summary>
    public void Abort(string connectionId)
    {
        if (_aborts.TryGetValue(connectionId, out var abort)) abort();
    }

    /// <summary>Closes every connection of this lawyer held by this silo; other silos close theirs at their next renewal.</summary>
    public void AbortLawyer(string lawyerId)
    {
        foreach (var (connectionId, owner) in Snapshot())
            if (owner == lawyerId) Abort(connectionId);
    }

    /// <summary>Asks for a renewal now (a front that reached the cluster again after losing it).</summary>
    public void RenewNow() => Interlocked.Exchange(ref _renewNow, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes on the next <see cref="RenewNow"/>.</summary>
    public Task RenewRequested => _renewNow.Task;
}

/// <summary>
/// Lawyer connection tracking lives in <c>LawyerGrain</c> memory. When the silo hosting a lawyer's grain dies, the
/// new activation knows none of the lawyer's connections, although the lawyer may still be connected to this silo.
/// Every few seconds this silo re-asserts its open lawyer connections (<c>RenewConnection</c>), so a lawyer
/// connected to a survivor is routable again within one period after a failover. Renewals run in parallel and on a
/// fixed beat: one slow call (up to the response timeout) delays only its own connection's renewal, never the others',
/// and a connection whose renewal is still in flight is not renewed twice.
/// A front (front mode) does the same for the connections it holds: if the front dies, nobody renews them and they
/// lapse; if it loses the cluster and finds it again, it renews at once (<see cref="LawyerConnectionRegistry.RenewNow"/>).
/// </summary>
public sealed class LawyerConnectionRefresher(LawyerConnectionRegistry registry, IGrainFactory grains, TokenRevocation revocation, IConfiguration configuration,
    ILogger<LawyerConnectionRefresher> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, byte> _inFlight = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(configuration.GetValue("Hotline:Cluster:LawyerRefreshSeconds", 3.0));
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.WhenAny(Task.Delay(period, stoppingToken), registry.RenewRequested); } catch (OperationCanceledException) { return; }
            if (stoppingToken.IsCancellationRequested) return;
            foreach (var (connectionId, lawyerId) in registry.Snapshot())
                if (_inFlight.TryAdd(connectionId, 0)) _ = Renew(connectionId, lawyerId);
        }
    }

    private async Task Renew(string connectionId, string lawyerId)
    {
        try
        {
            // A connection whose token was revoked (a password reset on another process) is closed, not renewed: the hub
            // filter refuses such a token only when the connection makes a call, and one that only listens makes none.
            if (registry.TokenOf(connectionId) is { } token && !await revocation.IsCurrent(token))
            {
                registry.Abort(connectionId);
                return;
            }
            // The grain ignores a connection that has closed meanwhile, so this cannot bring one back.
            if (!await grains.GetGrain<ILawyerGrain>(lawyerId).RenewConnection(connectionId)) registry.Abort(connectionId);
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
