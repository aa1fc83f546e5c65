using Hotline.Abstractions;
using Hotline.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Hotline.Grains;

/// <summary>
/// The hotline's router: one activation owns the queue and the lawyers' routing view and runs the pure
/// <see cref="RoutingEngine"/>. Every command is durably written before its caller hears back and before its effects
/// go out (one-way, so the router never waits on another grain). Commands arriving while a write is in flight are
/// applied to the engine at once and share the next write (group commit): the grain is reentrant, and every engine
/// command runs to completion without awaiting, so commands never interleave. Offer deadlines and widening steps are in
/// the durable state; a grain timer fires at the next deadline, and activation catches up on missed ones. A durable
/// reminder (one-minute period) activates the router after a restart or failover even when nothing else calls it. Queue
/// positions are computed and pushed at most twice a second, with the latest values (<see cref="RoutingEngine.FlushPositions"/>):
/// an assignment at the head shifts every position, so computing or pushing them per event would cost O(queue) per event.
/// </summary>
[Reentrant]
public sealed class RouterGrain(
    [PersistentState("router", StorageNames.Hotline)] IPersistentState<RouterState> state,
    IRouterJournal journal,
    IOptions<RoutingOptions> options,
    TimeProvider time,
    ILogger<RouterGrain> logger) : Grain, IRouterGrain, IRemindable
{
    private const string TickReminder = "tick";
    private static readonly TimeSpan PositionPushInterval = TimeSpan.FromMilliseconds(500);
    private RoutingEngine _engine = null!;
    private IGrainTimer? _timer;
    private DateTimeOffset? _timerDue;
    private IGrainTimer? _positionTimer;
    private List<RoutingEffect> _pendingEffects = [];
    private List<RouterCommand> _pendingCommands = [];
    private RouterLog _log = null!;
    private RouterState S => _engine.State;
    private TaskCompletionSource? _nextCommit;
    private bool _writing;
    // Set when another activation wrote a batch this one meant to write: this one never writes again (its next write
    // would be a snapshot over the other's journal), it fails every caller until it is gone.
    private RouterJournalConflictException? _superseded;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await Load();
        // Connections do not survive a restart or failover, so the lawyers' statuses here may be stale: ask every lawyer
        // grain (one-way) to report its real status; a lawyer with no open connection reports offline, which revokes
        // its offers and re-routes them. Connected lawyers keep their offers and the original deadlines.
        foreach (var id in S.Lawyers.Keys.ToList()) _ = GrainFactory.GetGrain<ILawyerGrain>(id).RefreshRouting();
        // Catch up on deadlines that passed while no activation existed (restart, failover): offers found overdue are
        // withdrawn and re-routed without setting anyone away (nobody could have answered them).
        var open = OpenOffers();
        await Run(new RecoverCommand());
        RedeliverOffers(open);
        await ForgetLegacyState();
        await EnsureTickReminder();
    }

    /// <summary>
    /// Offers still open after a restart or failover are told to their consultations again (one-way, idempotent: the
    /// consultation records the offer if it has not, and shows it to the lawyer again). The previous
    /// activation may have died after the offer's journal write and before its one-way call went out: without this, the
    /// lawyer never saw the offer, it lapsed at its deadline, and the lawyer was set away for an offer they were never
    /// shown.
    /// </summary>
    private void RedeliverOffers(List<(string ConsultationId, string LawyerId, DateTimeOffset ExpiresAt)> open)
    {
        // Only offers the recovery kept as they were: one it made anew (an overdue one re-routed) went out with its effects.
        foreach (var (consultationId, lawyerId, expiresAt) in open)
            if (S.Queue.TryGetValue(consultationId, out var entry) && entry.OfferedTo == lawyerId && entry.OfferExpiresAt == expiresAt)
                _ = Consultation(consultationId).ShowOfferAgain(lawyerId, expiresAt);
    }

    private List<(string ConsultationId, string LawyerId, DateTimeOffset ExpiresAt)> OpenOffers() =>
        [.. S.Queue.Values.Where(e => e.OfferedTo is not null && e.OfferExpiresAt is not null).Select(e => (e.ConsultationId, e.OfferedTo!, e.OfferExpiresAt!.Value))];

    /// <summary>
    /// The whole-state row written before the journal existed is never read once a snapshot is stored, and it held the
    /// queue of that time (employer keys and regions included): it goes, once, at the first activation that can.
    /// </summary>
    private async Task ForgetLegacyState()
    {
        if (!state.RecordExists || !_log.HasSnapshot) return;
        try
        {
            await state.ClearStateAsync();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Router: the state row of before the journal could not be cleared; the next activation tries again");
        }
    }

    /// <summary>Registers the durable wake-up once (it then stays in the reminder table for good).</summary>
    private async Task EnsureTickReminder()
    {
        try
        {
            if (await this.GetReminder(TickReminder) is null)
                await this.RegisterOrUpdateReminder(TickReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Router: could not register its tick reminder; the next activation tries again");
        }
    }

    /// <summary>The durable backstop of the grain timer: catches up on any deadline that passed.</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        await Run(new TickCommand());
        // A lawyer held as online whose grain died with the silo that also held their only connection is heard of by no
        // one: their grain is asked (one-way) to confirm, and reports them offline if no connection comes back.
        foreach (var (id, lawyer) in S.Lawyers)
            if (lawyer.Status != LawyerStatus.Offline) _ = GrainFactory.GetGrain<ILawyerGrain>(id).ConfirmOnline();
    }

    public Task Enqueue(string consultationId, string category, string dialect, Channel channel, int priority,
        DateTimeOffset queuedAt, string? preferredLawyerId, string? excludeLawyerId, string? employerKey = null, string? region = null)
        // An active consultation (transfer, lost lawyer) goes back keeping its age and the lawyers who declined it.
        => Run(new EnqueueCommand(consultationId, category, dialect, channel, priority, queuedAt, preferredLawyerId, excludeLawyerId, employerKey, region));

    public Task UpsertLawyer(string lawyerId, string displayName, IReadOnlyList<string> skills, IReadOnlyList<string> dialects, int capacity,
        LawyerStatus status, IReadOnlyList<string>? conflicts = null)
        => Run(new UpsertLawyerCommand(lawyerId, displayName, skills, dialects, capacity, status, conflicts));

    public async Task<string?> Requeue(string consultationId, string? newCategory, string? preferredLawyerId, string? excludeLawyerId) =>
        (await Run(new RequeueCommand(consultationId, newCategory, preferredLawyerId, excludeLawyerId))).ErrorCode;

    public Task ShowOffersAgain(string lawyerId)
    {
        if (_superseded is null)
            foreach (var e in _engine.OffersTo(lawyerId, time.GetUtcNow()))
                if (e.OfferExpiresAt is { } expires) _ = Consultation(e.ConsultationId).ShowOfferAgain(lawyerId, expires);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> GetQueue(string lawyerId) => Task.FromResult<IReadOnlyList<string>>(
        _engine.GetQueueFor(lawyerId, time.GetUtcNow()).Select(q => q.ConsultationId).ToList());

    public async Task<string?> Claim(string consultationId, string lawyerId) => (await Run(new ClaimCommand(consultationId, lawyerId) { RespectsExclusions = true })).ErrorCode;

    public async Task<string?> Accept(string consultationId, string lawyerId) => (await Run(new AcceptCommand(consultationId, lawyerId))).ErrorCode;

    public async Task<string?> Decline(string consultationId, string lawyerId) => (await Run(new DeclineCommand(consultationId, lawyerId))).ErrorCode;

    public Task Release(string consultationId, double? handleSeconds) => Run(new ReleaseCommand(consultationId, handleSeconds));

    public Task Remove(string consultationId) => Run(new RemoveCommand(consultationId));

    public Task LawyerDisconnected(string lawyerId) => Run(new LawyerDisconnectedCommand(lawyerId));

    public Task<QueueUpdateEvent?> GetPosition(string consultationId)
    {
        var p = _engine.GetPosition(consultationId, time.GetUtcNow());
        return Task.FromResult(p is null ? null : new QueueUpdateEvent(p.ConsultationId, p.Position, p.EstimatedWaitSeconds, p.LawyersOnline));
    }

    public Task<IReadOnlyList<string>> GetActive(string lawyerId) => Task.FromResult<IReadOnlyList<string>>(
        S.Lawyers.TryGetValue(lawyerId, out var slot) ? slot.Active.Keys.ToList() : []);

    public Task<RouterLoad> GetLoad()
    {
        var now = time.GetUtcNow();
        var s = S;
        // Per category, and per region for the entries that have one (the same figures, another key).
        List<CategoryLoad> Loads(IEnumerable<IGrouping<string, QueueEntry>> groups) => groups
            .Select(g => new CategoryLoad(g.Key, g.Count(q => q.OfferedTo is null), g.Count(q => q.OfferedTo is not null),
                Math.Round(g.Max(q => (now - q.QueuedAt).TotalSeconds), 1), 0))
            .ToList();
        var online = s.Lawyers.Values.Where(l => l.Status != LawyerStatus.Offline).ToList();
        var onlineCapacity = online.Sum(l => l.Capacity);
        var busyCapacity = online.Sum(l => Math.Min(l.Capacity, l.Active.Values.Sum(ch => ch == Channel.Phone ? l.Capacity : 1)));
        return Task.FromResult(new RouterLoad
        {
            At = now,
            Categories = Loads(s.Queue.Values.GroupBy(q => q.Category)),
            Regions = Loads(s.Queue.Values.Where(q => q.Region is not null).GroupBy(q => q.Region!)),
            Lawyers = new LawyerCounts
            {
                Online = online.Count,
                Available = online.Count(l => l.Status == LawyerStatus.Available && l.Active.Count == 0),
                Busy = online.Count(l => l.Active.Count > 0),
                Away = online.Count(l => l.Status == LawyerStatus.Away && l.Active.Count == 0),
                Occupancy = onlineCapacity == 0 ? 0 : Math.Round((double)busyCapacity / onlineCapacity, 3),
                Reserved = _engine.ReservedLawyers.Count,
            },
            LawyerStates = s.Lawyers.Values.Select(l => new Hotline.Abstractions.LawyerLoad(l.LawyerId, l.Status, l.Active.Count, l.Capacity)).ToList(),
        });
    }

    public Task<RouterEntry> GetEntry(string consultationId) => Task.FromResult(Entry(consultationId));

    public Task<IReadOnlyList<RouterEntry>> GetEntries() => Task.FromResult<IReadOnlyList<RouterEntry>>(
        S.Queue.Keys.Concat(S.ActiveEntries.Keys).Distinct().Select(Entry).ToList());

    private RouterEntry Entry(string id)
    {
        var s = S; // the engine's live state (the grain-state row is only the pre-journal starting point)
        if (s.Queue.TryGetValue(id, out var waiting)) return new RouterEntry(id, RouterPlacement.Queued, null, null, waiting.OfferedTo, waiting.OfferExpiresAt);
        var lawyer = s.ActiveEntries.TryGetValue(id, out var active) ? active.AssignedTo
            : s.Lawyers.Values.FirstOrDefault(l => l.Active.ContainsKey(id))?.LawyerId;
        if (lawyer is null && !s.ActiveEntries.ContainsKey(id)) return new RouterEntry(id, RouterPlacement.None, null, null);
        var name = lawyer is not null && s.Lawyers.TryGetValue(lawyer, out var slot) ? slot.DisplayName : lawyer;
        return new RouterEntry(id, RouterPlacement.Active, lawyer, name);
    }

    public Task Ping() => Task.CompletedTask;

    public Task Compact()
    {
        _log.RequestSnapshot();
        return Commit();
    }

    /// <summary>
    /// The last snapshot and the journal after it, replayed through the engine. Before the journal existed the router
    /// wrote its whole state as grain state: that row (or an empty state) is the starting point until a first snapshot.
    /// </summary>
    private async Task Load()
    {
        _log = new RouterLog(journal, this.GetPrimaryKeyString());
        _engine = await _log.Load(state.State, options.Value);
    }

    /// <summary>Runs one engine command; on success, waits until the journal batch holding it is durable.</summary>
    private async Task<RoutingResult> Run(RouterCommand command)
    {
        command = command with { At = time.GetUtcNow() };
        var result = command.Apply(_engine);
        if (!result.Succeeded)
        {
            logger.LogDebug("Routing command refused: {Code} {Message}", result.ErrorCode, result.ErrorMessage);
            return result;
        }
        _pendingEffects.AddRange(result.Effects);
        _pendingCommands.Add(command);
        await Commit();
        return result;
    }

    /// <summary>Group commit: joins the next write; starts the writer if none is running.</summary>
    private Task Commit()
    {
        var commit = _nextCommit ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writing) _ = WriteLoop();
        return commit.Task;
    }

    private async Task WriteLoop()
    {
        _writing = true;
        try
        {
            while (_nextCommit is { } commit)
            {
                _nextCommit = null;
                var effects = _pendingEffects;
                _pendingEffects = [];
                var commands = _pendingCommands;
                _pendingCommands = [];
                if (_superseded is { } superseded)
                {
                    commit.SetException(superseded);
                    continue;
                }
                try
                {
                    // Cut here, before any await: the state now holds exactly the commands up to this batch.
                    await _log.Write(_engine, commands, Compacted);
                }
                catch (RouterJournalConflictException e)
                {
                    // Another activation wrote this batch: this one's view is stale. Fail the callers and make way.
                    logger.LogWarning(e, "Router journal conflict: deactivating");
                    _superseded = e;
                    commit.SetException(e);
                    DeactivateOnIdle();
                    continue;
                }
                catch (Exception e)
                {
                    // Memory is ahead of storage: keep the effects for the next successful write (a snapshot, which holds
                    // these commands whatever became of this write), fail these callers.
                    logger.LogWarning(e, "Router journal write failed");
                    _pendingEffects.InsertRange(0, effects);
                    commit.SetException(e);
                    continue;
                }
                // Fault injection (tests only): die once the batch is durable, before its effects go out.
                if (ServiceProvider.GetService(typeof(CrashPoints)) is CrashPoints crash)
                    foreach (var c in commands) crash.At(CrashPoints.RouterStep(c));
                Apply(effects);
                ArmTimer();
                commit.SetResult();
            }
        }
        finally
        {
            _writing = false;
        }
    }

    /// <summary>After a snapshot: the live state becomes its read-back copy (see <see cref="RouterLog"/>); positions already pushed stay known.</summary>
    private void Compacted()
    {
        var previous = _engine;
        _engine = new RoutingEngine(RouterLog.Compact(S), options.Value);
        _engine.CarryPositionsFrom(previous);
    }

    private void Apply(IReadOnlyList<RoutingEffect> effects)
    {
        // Positions follow from the state, not from effects: computed and pushed on the next position tick.
        _positionTimer ??= this.RegisterGrainTimer(PushPositions, new GrainTimerCreationOptions
        {
            DueTime = PositionPushInterval,
            Period = Timeout.InfiniteTimeSpan,
        });
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case OfferMade o:
                    HotlineMeter.Offers.Add(1);
                    _ = Consultation(o.ConsultationId).OnOffered(o.LawyerId, o.ExpiresAt);
                    break;
                case OfferWithdrawn w:
                    HotlineMeter.OffersWithdrawn.Add(1, new KeyValuePair<string, object?>("reason", w.Reason.ToString().ToLowerInvariant()));
                    _ = Consultation(w.ConsultationId).OnOfferWithdrawn(w.LawyerId, w.Reason);
                    break;
                case ConsultationAssigned a:
                    HotlineMeter.Assignments.Add(1);
                    var name = S.Lawyers.TryGetValue(a.LawyerId, out var slot) ? slot.DisplayName : a.LawyerId;
                    _ = Consultation(a.ConsultationId).OnAssigned(a.LawyerId, name, a.WaitedSeconds);
                    break;
                case ActiveConsultationConflicted c:
                    // The consultation grain owns the active state: it requeues, and the conflict keeps it from this lawyer.
                    _ = Consultation(c.ConsultationId).ReturnToQueue(c.LawyerId);
                    break;
                case LawyerStatusForced f:
                    _ = GrainFactory.GetGrain<ILawyerGrain>(f.LawyerId).OnStatusForced(f.Status);
                    break;
            }
        }
    }

    private Task PushPositions(CancellationToken cancellationToken)
    {
        _positionTimer?.Dispose();
        _positionTimer = null;
        if (_engine.FlushPositions(time.GetUtcNow()) is { } changed)
            foreach (var p in changed.Positions)
                if (p.Position > 0) _ = Consultation(p.ConsultationId).OnQueuePosition(p.Position, p.EstimatedWaitSeconds, p.LawyersOnline);
        return Task.CompletedTask;
    }

    private IConsultationGrain Consultation(string id) => GrainFactory.GetGrain<IConsultationGrain>(id);

    private void ArmTimer()
    {
        var now = time.GetUtcNow();
        var next = _engine.NextDeadline(now);
        if (next == _timerDue && _timer is not null) return;
        _timer?.Dispose();
        _timer = null;
        _timerDue = next;
        if (next is null) return;
        var due = next.Value - now;
        if (due < TimeSpan.FromMilliseconds(10)) due = TimeSpan.FromMilliseconds(10);
        _timer = this.RegisterGrainTimer(OnTimer, new GrainTimerCreationOptions { DueTime = due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private async Task OnTimer(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        _timer = null;
        _timerDue = null;
        await Run(new TickCommand());
    }
}
