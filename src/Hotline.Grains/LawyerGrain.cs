using Hotline.Abstractions;
using Hotline.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hotline.Grains;

/// <summary>Durable state of one lawyer.</summary>
public sealed class LawyerState
{
    public LawyerProfile? Profile { get; set; }
    /// <summary>The status the lawyer chose (or the router forced); routing sees Offline while no connection is open.</summary>
    public LawyerStatus Status { get; set; } = LawyerStatus.Available;
    public int Capacity { get; set; } = 3;
    /// <summary>Every consultation ever offered or assigned to this lawyer, newest last.</summary>
    public List<string> ConsultationIds { get; set; } = [];
}

/// <summary>
/// One lawyer: profile, chosen status and capacity, open connections. Tells the router what it may route to the
/// lawyer; when the last connection drops, pending offers go back at once and active consultations follow after a
/// grace period unless the lawyer comes back.
/// </summary>
public sealed class LawyerGrain(
    [PersistentState("lawyer", StorageNames.Hotline)] IPersistentState<LawyerState> state,
    IClientNotifier notifier,
    IOptions<GrainOptions> options,
    TimeProvider time,
    ILogger<LawyerGrain> logger) : Grain, ILawyerGrain
{
    /// <summary>Open connections and when their silo last asserted them.</summary>
    private readonly Dictionary<string, DateTimeOffset> _connections = [];
    private IGrainTimer? _lease;
    /// <summary>Recently closed connections, so that a late re-assertion from a silo does not bring one back.</summary>
    private readonly Dictionary<string, DateTimeOffset> _closed = [];
    private IGrainTimer? _grace;
    private int _activeCount;

    private string LawyerId => this.GetPrimaryKeyString();
    private IRouterGrain Router => GrainFactory.GetGrain<IRouterGrain>(GrainKeys.Hotline);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.RecordExists) _activeCount = (await Router.GetActive(LawyerId)).Count;
    }

    public async Task<LawyerView> Register(LawyerProfile profile, bool overwrite)
    {
        if (state.RecordExists && !overwrite) throw Guard.Conflict("username exists");
        if (profile.Capacity is < 1 or > 10) throw Guard.Validation("capacity must be between 1 and 10");
        state.State.Profile = profile;
        state.State.Capacity = profile.Capacity;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IRosterGrain>(GrainKeys.Hotline).Add(LawyerId);
        await Publish();
        return await GetView();
    }

    public Task<LawyerProfile?> GetProfile() => Task.FromResult(state.RecordExists ? state.State.Profile : null);

    public Task<LawyerView> GetView()
    {
        var p = state.State.Profile ?? throw Guard.NotFound("lawyer not found");
        return Task.FromResult(new LawyerView
        {
            Id = LawyerId,
            Username = p.Username,
            DisplayName = p.DisplayName,
            Skills = p.Skills,
            Dialects = p.Dialects,
            Capacity = state.State.Capacity,
            Status = EffectiveStatus,
            ActiveCount = _activeCount,
            Connected = _connections.Count > 0,
        });
    }

    public async Task<LawyerView> SetAvailability(LawyerStatus status)
    {
        EnsureExists();
        if (!Enum.IsDefined(status)) throw Guard.Validation("unknown status");
        state.State.Status = status;
        await state.WriteStateAsync();
        await Publish();
        return await GetView();
    }

    public async Task<LawyerView> SetCapacity(int capacity)
    {
        EnsureExists();
        if (capacity is < 1 or > 10) throw Guard.Validation("capacity must be between 1 and 10");
        state.State.Capacity = capacity;
        await state.WriteStateAsync();
        await Publish();
        return await GetView();
    }

    public async Task Connected(string connectionId)
    {
        EnsureExists();
        var first = _connections.Count == 0;
        _connections[connectionId] = time.GetUtcNow();
        _grace?.Dispose();
        _grace = null;
        var lease = options.Value.ConnectionLeaseSeconds;
        if (lease > 0) _lease ??= this.RegisterGrainTimer(ExpireConnections, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(lease / 3),
            Period = TimeSpan.FromSeconds(lease / 3),
        });
        if (first) await Publish();
    }

    public Task RenewConnection(string connectionId)
    {
        var now = time.GetUtcNow();
        foreach (var old in _closed.Where(c => now - c.Value > TimeSpan.FromMinutes(5)).Select(c => c.Key).ToList()) _closed.Remove(old);
        return _closed.ContainsKey(connectionId) ? Task.CompletedTask : Connected(connectionId);
    }

    /// <summary>Drops connections whose silo stopped asserting them (it died), as if they had closed.</summary>
    private async Task ExpireConnections(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - TimeSpan.FromSeconds(options.Value.ConnectionLeaseSeconds);
        foreach (var (id, seen) in _connections.Where(c => c.Value < cutoff).ToList())
        {
            logger.LogInformation("Lawyer {Lawyer}: connection {Connection} lapsed (its silo stopped asserting it)", LawyerId, id);
            await Disconnected(id);
        }
        if (_connections.Count == 0)
        {
            _lease?.Dispose();
            _lease = null;
        }
    }

    public async Task Disconnected(string connectionId)
    {
        _closed[connectionId] = time.GetUtcNow();
        if (!_connections.Remove(connectionId) || _connections.Count > 0) return;
        // Last connection gone: routing sees the lawyer offline, which revokes pending offers and re-routes them now.
        await Publish();
        await Router.LawyerDisconnected(LawyerId);
        _grace?.Dispose();
        _grace = this.RegisterGrainTimer(GraceExpired, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(options.Value.LawyerGraceSeconds),
            Period = Timeout.InfiniteTimeSpan,
            KeepAlive = true,
        });
    }

    private async Task GraceExpired(CancellationToken cancellationToken)
    {
        _grace?.Dispose();
        _grace = null;
        if (_connections.Count > 0) return;
        var active = await Router.GetActive(LawyerId);
        logger.LogInformation("Lawyer {Lawyer} stayed away past the grace period; {Count} consultations return to the queue", LawyerId, active.Count);
        foreach (var id in active) await GrainFactory.GetGrain<IConsultationGrain>(id).ReturnToQueue(LawyerId);
    }

    public Task<IReadOnlyList<string>> GetConsultationIds() => Task.FromResult<IReadOnlyList<string>>(state.State.ConsultationIds.ToList());

    public async Task OnOffered(string consultationId)
    {
        if (!state.State.ConsultationIds.Contains(consultationId))
        {
            state.State.ConsultationIds.Add(consultationId);
            await state.WriteStateAsync();
        }
    }

    public async Task OnStatusForced(LawyerStatus status)
    {
        if (state.State.Status == status) return;
        state.State.Status = status;
        await state.WriteStateAsync();
        await notifier.Lawyer(LawyerId).LawyerStatus(await GetView());
    }

    public async Task OnActiveChanged(string consultationId, bool active)
    {
        _activeCount = (await Router.GetActive(LawyerId)).Count;
        if (active) await OnOffered(consultationId);
    }

    public Task RefreshRouting() => state.RecordExists && state.State.Profile is not null ? Publish() : Task.CompletedTask;

    private LawyerStatus EffectiveStatus => _connections.Count > 0 ? state.State.Status : LawyerStatus.Offline;

    private async Task Publish()
    {
        var p = state.State.Profile!;
        await Router.UpsertLawyer(LawyerId, p.DisplayName, p.Skills, p.Dialects, state.State.Capacity, EffectiveStatus);
    }

    private void EnsureExists()
    {
        if (!state.RecordExists || state.State.Profile is null) throw Guard.NotFound("lawyer not found");
    }
}
