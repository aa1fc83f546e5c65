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
    /// <summary>Carried in the lawyer's tokens (claim <c>tv</c>); bumped to revoke them all.</summary>
    public int TokenVersion { get; set; }
    /// <summary>
    /// Set when the last connection went away (or an activation found active consultations and no connection): unless a
    /// connection comes back before it, the active consultations return to the queue. Durable, with a reminder, so it
    /// fires after a kill -9 or a failover too.
    /// </summary>
    public DateTimeOffset? GraceDeadline { get; set; }
    /// <summary>When a connection of this lawyer was last seen (connected or renewed), recorded at most every
    /// <see cref="GraceRules.SeenPrecision"/>: after a restart the grace period counts from here.</summary>
    public DateTimeOffset? LastSeenAt { get; set; }
}

/// <summary>
/// One lawyer: profile, chosen status and capacity, open connections. Tells the router what it may route to the
/// lawyer; when the last connection drops, pending offers go back at once and active consultations follow after a
/// grace period unless the lawyer comes back. The grace deadline is durable: it lives in the state, a reminder (one
/// minute minimum period) wakes the grain after a crash or failover, and a grain timer gives it sub-minute precision.
/// </summary>
public sealed partial class LawyerGrain(
    [PersistentState("lawyer", StorageNames.Hotline)] IPersistentState<LawyerState> state,
    IClientNotifier notifier,
    IOptions<GrainOptions> options,
    TimeProvider time,
    ILogger<LawyerGrain> logger) : Grain, ILawyerGrain, ILawyerManagementGrain, IRemindable
{
    private const string GraceReminder = "grace";
    /// <summary>How long a fresh activation leaves live connections to re-assert themselves (renewals run every few
    /// seconds; one may take up to the 15 s response timeout) before a grace deadline found passed fires.</summary>
    private const double SettleSeconds = 15;
    /// <summary>Open connections and when their silo last asserted them.</summary>
    private readonly Dictionary<string, DateTimeOffset> _connections = [];
    private IGrainTimer? _lease;
    /// <summary>
    /// Recently closed connections (the hub saw them close), so that a late re-assertion from a silo does not bring one
    /// back. A connection that merely lapsed (no renewal in time) is not here: its next renewal restores it.
    /// </summary>
    private readonly Dictionary<string, DateTimeOffset> _closed = [];
    private IGrainTimer? _grace;
    private int _activeCount;

    private string LawyerId => this.GetPrimaryKeyString();
    private IRouterGrain Router => GrainFactory.GetGrain<IRouterGrain>(GrainKeys.Hotline);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!state.RecordExists) return;
        _activeCount = (await Router.GetActive(LawyerId)).Count;
        // A fresh activation knows no connection (restart, failover, kill -9 of the silo that held it). If the lawyer has
        // active consultations, the grace period runs from when a connection was last seen unless one was already
        // running; a live connection is re-asserted by its silo within seconds (SettleSeconds) and cancels it.
        if (state.State.GraceDeadline is null && _activeCount > 0)
            await StartGrace(GraceRules.DeadlineOnActivation(state.State.LastSeenAt, time.GetUtcNow(), options.Value.LawyerGraceSeconds,
                TimeSpan.FromSeconds(SettleSeconds)));
        else if (state.State.GraceDeadline is { } deadline)
            ArmGraceTimer(deadline);
    }

    public async Task<LawyerView> Register(LawyerProfile profile, bool overwrite)
    {
        if (state.RecordExists && !overwrite)
        {
            // An earlier register may have stored the lawyer and failed before the roster heard of them: login asks the
            // roster, so the admin's repeat puts them on it (idempotent) before it answers that the name is taken.
            await GrainFactory.GetGrain<IRosterGrain>(GrainKeys.Hotline).Add(LawyerId);
            throw Guard.Conflict("username exists");
        }
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
            Conflicts = p.Conflicts,
            Disabled = p.Disabled,
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
        if (state.State.Profile!.Disabled) throw Guard.Forbidden("the lawyer is disabled");
        var first = _connections.Count == 0;
        var added = !_connections.ContainsKey(connectionId);
        var now = time.GetUtcNow();
        _connections[connectionId] = now;
        _grace?.Dispose();
        _grace = null;
        var seen = GraceRules.ShouldRecordSeen(state.State.LastSeenAt, now, options.Value.LawyerGraceSeconds);
        if (seen) state.State.LastSeenAt = now;
        if (state.State.GraceDeadline is not null) await CancelGrace();
        else if (seen) await state.WriteStateAsync();
        var lease = options.Value.ConnectionLeaseSeconds;
        if (lease > 0) _lease ??= this.RegisterGrainTimer(ExpireConnections, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(lease / 3),
            Period = TimeSpan.FromSeconds(lease / 3),
        });
        if (added) await ShowOpenOffersAgain();
        if (first)
        {
            try
            {
                await Publish();
            }
            catch
            {
                // The hub refuses this connection (its connect fails), and SignalR then never reports it closed: it is not
                // kept, or the router retry would advertise a lawyer with no connection. A renewal brings it back.
                _connections.Remove(connectionId);
                throw;
            }
        }
    }

    /// <summary>
    /// A connection new to this grain (a reconnect, another tab, one re-asserted after a failover; not a renewal): the
    /// offers already open to the lawyer are shown again, as their pushes may have gone to a connection that is gone.
    /// Awaited before the lawyer is published, so an offer that publishing makes is not among them (shown once).
    /// </summary>
    private async Task ShowOpenOffersAgain()
    {
        try
        {
            await Router.ShowOffersAgain(LawyerId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogDebug(e, "Lawyer {Lawyer}: open offers could not be shown again", LawyerId);
        }
    }

    public async Task<bool> RenewConnection(string connectionId)
    {
        // A disabled lawyer's connections are closed by the silo that holds them, whichever it is.
        if (state.State.Profile is { Disabled: true }) return false;
        var now = time.GetUtcNow();
        foreach (var old in _closed.Where(c => now - c.Value > TimeSpan.FromMinutes(5)).Select(c => c.Key).ToList()) _closed.Remove(old);
        if (!_closed.ContainsKey(connectionId)) await Connected(connectionId);
        return true;
    }

    /// <summary>
    /// Drops connections whose silo stopped asserting them (it died). Unlike a close, a lapse is not final: a silo that
    /// was only slow renews the connection later and restores it.
    /// </summary>
    private async Task ExpireConnections(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - TimeSpan.FromSeconds(options.Value.ConnectionLeaseSeconds);
        foreach (var (id, seen) in _connections.Where(c => c.Value < cutoff).ToList())
        {
            logger.LogInformation("Lawyer {Lawyer}: connection {Connection} lapsed (its silo stopped asserting it)", LawyerId, id);
            await Drop(id);
        }
        if (_connections.Count == 0)
        {
            _lease?.Dispose();
            _lease = null;
        }
    }

    public Task Disconnected(string connectionId)
    {
        _closed[connectionId] = time.GetUtcNow();
        return Drop(connectionId);
    }

    private async Task Drop(string connectionId)
    {
        if (!_connections.Remove(connectionId) || _connections.Count > 0) return;
        // Last connection gone: routing sees the lawyer offline, which revokes pending offers and re-routes them now. A
        // router that cannot be told now is told by the retry timer; the grace period starts either way, or the lawyer's
        // active consultations would never go back to the queue.
        try
        {
            await Publish();
            await Router.LawyerDisconnected(LawyerId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Lawyer {Lawyer}: the router was not told of the disconnect; retrying", LawyerId);
            ArmRouterRetry();
        }
        await StartGrace(time.GetUtcNow() + TimeSpan.FromSeconds(options.Value.LawyerGraceSeconds));
    }

    /// <summary>Writes the deadline, then the reminder that wakes this grain after a crash, then the precise timer.</summary>
    private async Task StartGrace(DateTimeOffset deadline)
    {
        state.State.GraceDeadline = deadline;
        await state.WriteStateAsync();
        try
        {
            var due = deadline - time.GetUtcNow();
            await this.RegisterOrUpdateReminder(GraceReminder, due < TimeSpan.Zero ? TimeSpan.Zero : due, TimeSpan.FromMinutes(1));
        }
        catch (Exception e)
        {
            // The timer below still fires while this activation lives; a later activation re-arms from the state.
            logger.LogWarning(e, "Lawyer {Lawyer}: could not register the grace reminder", LawyerId);
        }
        ArmGraceTimer(deadline);
    }

    private async Task CancelGrace()
    {
        state.State.GraceDeadline = null;
        await state.WriteStateAsync();
        await UnregisterGraceReminder();
    }

    private async Task UnregisterGraceReminder()
    {
        try
        {
            if (await this.GetReminder(GraceReminder) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e)
        {
            // A stale reminder only wakes the grain, which finds no deadline and unregisters it again.
            logger.LogDebug(e, "Lawyer {Lawyer}: could not unregister the grace reminder", LawyerId);
        }
    }

    private void ArmGraceTimer(DateTimeOffset deadline)
    {
        _grace?.Dispose();
        var due = deadline - time.GetUtcNow();
        _grace = this.RegisterGrainTimer(GraceExpired, new GrainTimerCreationOptions
        {
            DueTime = due < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : due,
            Period = Timeout.InfiniteTimeSpan,
            KeepAlive = true,
        });
    }

    /// <summary>The durable backstop: after a restart or failover the reminder activates this grain and checks the deadline.</summary>
    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == GraceReminder ? GraceExpired(CancellationToken.None) : Task.CompletedTask;

    private async Task GraceExpired(CancellationToken cancellationToken)
    {
        if (state.State.GraceDeadline is not { } deadline || _connections.Count > 0)
        {
            // Nothing pending (a connection came back): drop a leftover reminder.
            _grace?.Dispose();
            _grace = null;
            if (_connections.Count == 0) await UnregisterGraceReminder();
            return;
        }
        if (deadline > time.GetUtcNow())
        {
            ArmGraceTimer(deadline); // the reminder ticked early (one-minute granularity): the timer takes it from here
            return;
        }
        _grace?.Dispose();
        _grace = null;
        var active = await Router.GetActive(LawyerId);
        logger.LogInformation("Lawyer {Lawyer} stayed away past the grace period; {Count} consultations return to the queue", LawyerId, active.Count);
        // Each return is idempotent; the deadline is cleared only after all of them, so a crash in between retries them.
        foreach (var id in active) await GrainFactory.GetGrain<IConsultationGrain>(id).ReturnToQueue(LawyerId);
        await CancelGrace();
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
        var view = await GetView();
        await OrderedPushes.BestEffort(() => notifier.Lawyer(LawyerId).LawyerStatus(view), logger);
    }

    public async Task OnActiveChanged(string consultationId, bool active)
    {
        _activeCount = (await Router.GetActive(LawyerId)).Count;
        if (active) await OnOffered(consultationId);
    }

    /// <summary>-1 (every token refused, no login) for an unknown or disabled lawyer.</summary>
    public Task<int> GetTokenVersion() => Task.FromResult(state.RecordExists && state.State.Profile is { Disabled: false } ? state.State.TokenVersion : -1);

    public async Task<int> RevokeTokens()
    {
        EnsureExists();
        state.State.TokenVersion++;
        await state.WriteStateAsync();
        logger.LogInformation("Lawyer {Lawyer}: tokens revoked", LawyerId);
        return state.State.TokenVersion;
    }

    public Task RefreshRouting() => state.RecordExists && state.State.Profile is not null ? Publish() : Task.CompletedTask;

    public Task ConfirmOnline()
    {
        // Connections of live silos are re-asserted within seconds of a new activation: give them that long.
        if (_connections.Count == 0 && state.RecordExists && state.State.Profile is not null)
            _confirm ??= this.RegisterGrainTimer(ReportIfStillUnconnected, new GrainTimerCreationOptions
            {
                DueTime = TimeSpan.FromSeconds(SettleSeconds),
                Period = Timeout.InfiniteTimeSpan,
            });
        return Task.CompletedTask;
    }

    private IGrainTimer? _confirm;

    private async Task ReportIfStillUnconnected(CancellationToken cancellationToken)
    {
        _confirm?.Dispose();
        _confirm = null;
        if (_connections.Count > 0) return;
        try
        {
            await Publish();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Lawyer {Lawyer}: their offline status could not be told to the router; retrying", LawyerId);
        }
    }

    private LawyerStatus EffectiveStatus => _connections.Count > 0 && state.State.Profile is not { Disabled: true } ? state.State.Status : LawyerStatus.Offline;

    private async Task Publish()
    {
        try
        {
            await UpsertInRouter(state.State.Profile!);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The caller gets the error, and the router is told again until it has this lawyer's current status: a
            // connect whose publish failed is never published again by itself (the next connection is not the first),
            // and the lawyer would stay offline to routing while their console shows them connected.
            ArmRouterRetry();
            throw;
        }
    }

    /// <summary>Tells the router this lawyer's profile, capacity and effective status.</summary>
    private Task UpsertInRouter(LawyerProfile p) =>
        Router.UpsertLawyer(LawyerId, p.DisplayName, p.Skills, p.Dialects, state.State.Capacity, EffectiveStatus, ConflictKeys());

    /// <summary>Retries telling the router this lawyer's current status every <see cref="RouterRetryEvery"/> until it succeeds.</summary>
    private void ArmRouterRetry() => _routerRetry ??= this.RegisterGrainTimer(RetryRouter, new GrainTimerCreationOptions
    {
        DueTime = RouterRetryEvery,
        Period = RouterRetryEvery,
        KeepAlive = true,
    });

    private static readonly TimeSpan RouterRetryEvery = TimeSpan.FromSeconds(2);
    private IGrainTimer? _routerRetry;

    private async Task RetryRouter(CancellationToken cancellationToken)
    {
        if (!state.RecordExists || state.State.Profile is not { } p) return;
        try
        {
            await UpsertInRouter(p);
            if (_connections.Count == 0) await Router.LawyerDisconnected(LawyerId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogDebug(e, "Lawyer {Lawyer}: the router is still not reachable", LawyerId);
            return;
        }
        _routerRetry?.Dispose();
        _routerRetry = null;
    }

    private void EnsureExists()
    {
        if (!state.RecordExists || state.State.Profile is null) throw Guard.NotFound("lawyer not found");
    }
}
